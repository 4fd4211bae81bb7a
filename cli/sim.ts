import { Command, InvalidArgumentError } from 'commander';
import { ERROR_SHAPES, type ErrorShape } from '../infra/local/sim/error-shapes.ts';
import type { FaultPatch } from '../infra/local/sim/faults.ts';
import { type ProfileName, PROFILES } from '../infra/local/sim/latency-model.ts';
import { DEFAULT_MODEL, PATH_STYLES, type PathStyle, SIM_TASKS, type SimTask, startSim } from '../infra/local/sim/server.ts';
import { TEST_AWS_CREDENTIALS } from '../infra/local/sim/sagemaker/front.ts';

const integer = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer in ${min}..${max}`);
  return n;
};
const rate = (value: string) => {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('must be a number in 0..1');
  return n;
};
const nonNegative = (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
};
const oneOf = <T extends string>(known: readonly T[]) => (value: string): T => {
  if (!(known as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${known.join(', ')}`);
  return value as T;
};
const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

interface SimFlags {
  port: number;
  host: string;
  model?: string[];
  profile: ProfileName;
  seed: number;
  pathStyle: PathStyle;
  apiKey?: string;
  errorRate?: number;
  errorStatus?: number;
  errorShape?: ErrorShape;
  cutAfter?: number;
  addedLatencyMs?: number;
  hang?: boolean;
  unhealthy?: boolean;
  sagemaker?: boolean;
  sagemakerRegion?: string;
  task: SimTask;
  gpuMetrics?: number;
}

export function simCommand(): Command {
  return new Command('sim')
    .description('run one simulated vLLM OpenAI server (no GPU, no model): realistic latency, KV cache, metrics, faults')
    .option('--port <n>', 'port to listen on (0 = any free port)', integer(0, 65535), 8000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--model <name>', `served model name, repeat for aliases (default: ${DEFAULT_MODEL})`, collect)
    .option('--profile <name>', `latency profile: ${Object.keys(PROFILES).join(', ')}`, oneOf(Object.keys(PROFILES) as ProfileName[]), 'h100-8b')
    .option('--seed <n>', 'seed for output text and the error sequence', integer(-(2 ** 31), 2 ** 31 - 1), 0)
    .option('--task <task>', `what the model is, as vLLM's --task: ${SIM_TASKS.join(', ')} (decides the routes)`, oneOf(SIM_TASKS), 'generate')
    .option('--path-style <style>', 'v1 (/v1/...), openai (/openai/v1/..., KServe HF runtime) or both', oneOf(PATH_STYLES), 'both')
    .option('--api-key <key>', 'require Authorization: Bearer <key> on OpenAI routes')
    .option('--error-rate <x>', 'share of inference requests that fail (0..1)', rate)
    .option('--error-status <n>', 'HTTP status of injected failures', integer(400, 599))
    .option('--error-shape <shape>', `error body shape: ${ERROR_SHAPES.join(', ')}`, oneOf(ERROR_SHAPES))
    .option('--cut-after <n>', 'end every stream after N data chunks, without [DONE]', integer(0, 2 ** 31 - 1))
    .option('--added-latency-ms <n>', 'extra wait before answering', nonNegative)
    .option('--hang', 'accept inference requests and never answer')
    .option('--unhealthy', 'answer /health with 503')
    .option('--gpu-metrics <gpus>', 'also print DCGM GPU gauges on /metrics for this many GPUs (as a merged dcgm-exporter scrape)', integer(1, 64))
    .option('--sagemaker', `also serve the SageMaker runtime API (SigV4 with the test key ${TEST_AWS_CREDENTIALS.accessKeyId})`)
    .option('--sagemaker-region <region>', 'AWS region SageMaker signatures must be scoped to (default: any)')
    .action(async (opts: SimFlags) => {
      const faults: FaultPatch = {
        ...(opts.errorRate === undefined ? {} : { errorRate: opts.errorRate }),
        ...(opts.errorStatus === undefined ? {} : { errorStatus: opts.errorStatus }),
        ...(opts.errorShape === undefined ? {} : { errorShape: opts.errorShape }),
        ...(opts.cutAfter === undefined ? {} : { cutAfterChunks: opts.cutAfter }),
        ...(opts.addedLatencyMs === undefined ? {} : { addedLatencyMs: opts.addedLatencyMs }),
        ...(opts.hang ? { hang: true } : {}),
        ...(opts.unhealthy ? { unhealthy: true } : {}),
      };
      const sim = await startSim({
        port: opts.port,
        host: opts.host,
        ...(opts.model === undefined ? {} : { models: opts.model }),
        profile: opts.profile,
        seed: opts.seed,
        pathStyle: opts.pathStyle,
        task: opts.task,
        ...(opts.gpuMetrics === undefined ? {} : { gpuMetrics: opts.gpuMetrics }),
        ...(opts.apiKey === undefined ? {} : { apiKey: opts.apiKey }),
        faults,
        ...(opts.sagemaker || opts.sagemakerRegion ? { sagemaker: opts.sagemakerRegion ? { region: opts.sagemakerRegion } : {} } : {}),
      });
      console.log(
        `switchyard sim ready on ${sim.url} — models ${sim.models.join(', ')} (${opts.task}), profile ${sim.profile.name}, ` +
          `paths ${sim.pathStyle === 'both' ? '/v1 and /openai/v1' : sim.pathStyle === 'v1' ? '/v1' : '/openai/v1'}` +
          (sim.sagemaker ? ', SageMaker runtime API on /endpoints/{name}/invocations[-response-stream]' : ''),
      );
      const stop = () => void sim.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
