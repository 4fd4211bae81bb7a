import type { InferenceServiceDoc, LLMDeploymentDoc } from './schema.ts';

export const GPU_RESOURCE = 'nvidia.com/gpu';

const positive = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

const field = (o: unknown, name: string): unknown => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[name] : undefined);

/**
 * GPUs a resources block asks for: Kubernetes' limits (they win: Kubernetes requires them equal
 * to requests), then requests, then the reference's shorthand `gpu: 2`.
 */
export function gpusIn(resources: unknown): number | undefined {
  return positive(field(field(resources, 'limits'), GPU_RESOURCE)) ?? positive(field(field(resources, 'requests'), GPU_RESOURCE)) ?? positive(field(resources, 'gpu'));
}

/** The value after `--flag` or `--flag=` in a vLLM argument list. */
function flagValue(args: readonly string[], ...flags: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    for (const flag of flags) {
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
      if (arg === flag) return args[i + 1];
    }
  }
  return undefined;
}

function envValue(env: unknown, name: string): string | undefined {
  if (!Array.isArray(env)) return undefined;
  for (const entry of env) if (field(entry, 'name') === name && typeof field(entry, 'value') === 'string') return field(entry, 'value') as string;
  return undefined;
}

/**
 * GPUs one serving replica holds: what a request's share of a GPU-hour is priced against. The
 * resources written, or else tensor × pipeline parallel size (vLLM needs a GPU per shard). For
 * disaggregated serving, a decode pod plus its share of the prefill pool. Undefined when the
 * fleet does not say (a CPU model, or an endpoint given only by URL).
 */
export function gpusPerReplica(resource: InferenceServiceDoc | LLMDeploymentDoc): number | undefined {
  if (resource.kind === 'InferenceService') {
    const p = resource.spec.predictor;
    const args = p.model?.args ?? [];
    const env = p.model?.env;
    const tp = positive(field(p.workerSpec, 'tensorParallelSize')) ?? positive(flagValue(args, '--tensor-parallel-size', '-tp')) ?? positive(envValue(env, 'TENSOR_PARALLEL_SIZE'));
    const pp = positive(field(p.workerSpec, 'pipelineParallelSize')) ?? positive(flagValue(args, '--pipeline-parallel-size', '-pp')) ?? positive(envValue(env, 'PIPELINE_PARALLEL_SIZE'));
    const written = gpusIn(p.model?.resources) ?? gpusIn(p.resources);
    const sharded = tp === undefined && pp === undefined ? undefined : (tp ?? 1) * (pp ?? 1);
    return written === undefined ? sharded : Math.max(written, sharded ?? 0);
  }
  const s = resource.spec;
  const podGpus = (phase: typeof s.decode): number | undefined => {
    const written = gpusIn(phase?.resources);
    const tp = phase?.parallelism?.tensor ?? s.tensorParallelSize;
    const pp = phase?.parallelism?.pipeline;
    return written ?? (tp === undefined && pp === undefined ? undefined : (tp ?? 1) * (pp ?? 1));
  };
  const decode = s.serving?.decode ?? s.decode;
  const prefill = s.serving?.prefill ?? s.prefill;
  const decodeGpus = podGpus(decode) ?? gpusIn(field(s, 'resources'));
  const prefillGpus = prefill ? podGpus(prefill) : undefined;
  if (decodeGpus === undefined && prefillGpus === undefined) return undefined;
  const decodeReplicas = Math.max(1, decode?.replicas ?? 1);
  const prefillShare = prefillGpus === undefined ? 0 : (prefillGpus * (prefill?.replicas ?? 1)) / decodeReplicas;
  return (decodeGpus ?? 0) + prefillShare;
}
