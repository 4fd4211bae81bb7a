// `npm run bench -- prefix`: prefix-affinity routing in a discrete-event simulation. Eight
// simulated vLLM engines (the simulator's own latency model, KV cache and scheduler, on a
// virtual clock) behind the gateway's real routing code, under a workload of many tenants whose
// conversations share long system prompts and grow turn by turn. Compares random, round robin,
// least load, prefix affinity (without and with its load bound) and an oracle that reads every
// engine's cache: prefix-cache hit rate, TTFT p50/p90, output throughput. Deterministic for a
// seed; the simulations run on worker threads.
import { availableParallelism } from 'node:os';
import { PROFILES } from '../infra/local/sim/latency-model.ts';
import type { CompiledPrefixSharing } from '../src/fleet/compiled.ts';
import { LOAD_BOUND } from '../src/route/scorers/prefix-affinity.ts';
import { numberFlag, parseFlags, UsageError, type Benchmark } from './lib/benchmark.ts';
import { writeSection } from './lib/results-file.ts';
import { fmt } from './lib/stats.ts';
import { measureCost } from './prefix/hash-cost.ts';
import { POLICIES } from './prefix/policies.ts';
import { markdown, type Run } from './prefix/report.ts';
import { runJobs } from './prefix/run-pool.ts';
import { benchCandidates, benchModel, MODEL_ID, type SimOptions } from './prefix/simulate.ts';
import type { WorkloadParams } from './prefix/workload.ts';

/** The CachePolicy of infra/fleet.yaml: 16-token blocks, prefixes of 100 tokens and more. */
const SHARING: CompiledPrefixSharing = { enabled: true, blockSize: 16, minLength: 100 };
const PROFILE = PROFILES['h100-8b'];

interface Settings {
  readonly seeds: readonly number[];
  readonly rates: readonly number[];
  readonly durationS: number;
  readonly warmupS: number;
  readonly tenants: number;
  readonly endpoints: number;
  readonly isolates: number;
  readonly probeMs: number;
  readonly threads: number;
  readonly quick: boolean;
}

const USAGE = `  --duration <s>     simulated seconds over which conversations start (default 200)
  --warmup <s>       simulated seconds before requests are measured (default 50)
  --rates <list>     new conversations per second, a table each (default 3,5: ≈14 and ≈23 requests/s)
  --seed <list>      workload and tie-break seeds, e.g. 1,2,3 (default 1); tables show the first
  --tenants <n>      tenants, each with its own system prompt (default 150)
  --endpoints <n>    simulated vLLM engines (default 8)
  --isolates <n>     gateway isolates with their own in-flight counts; a request lands on one at random (default 1;
                     more than 1 writes its own section of bench/RESULTS.md)
  --probe-ms <ms>    a health snapshot (waiting, running, KV usage) every this many simulated ms (default 10000,
                     as \`switchyard serve\`; the Worker's cron probes every 60000; 0 = none)
  --jobs <n>         worker threads (default: the machine's parallelism)
  --quick            --duration 90 --warmup 30 --rates 5; bench/RESULTS.md is not updated
  -h, --help         this help`;

const list = (value: string | undefined, fallback: string, name: string, integer = false) =>
  (value ?? fallback).split(',').map((x) => (x.trim() === '0' && integer ? 0 : numberFlag(x.trim(), 0, name, integer)));

function settingsOf(argv: readonly string[]): Settings {
  const f = parseFlags(argv, {
    rates: { type: 'string' },
    seed: { type: 'string' },
    warmup: { type: 'string' },
    tenants: { type: 'string' },
    endpoints: { type: 'string' },
    isolates: { type: 'string' },
    'probe-ms': { type: 'string' },
    jobs: { type: 'string' },
  });
  if (f.rounds !== undefined) throw new UsageError('--rounds does not apply: the simulation is deterministic (use --seed 1,2,3 for a spread)');
  const quick = f.quick === true;
  const durationS = numberFlag(f.duration, quick ? 90 : 200, 'duration');
  const warmupS = f.warmup === '0' ? 0 : numberFlag(f.warmup, quick ? 30 : 50, 'warmup');
  if (warmupS >= durationS) throw new UsageError('--warmup must be shorter than --duration');
  return {
    seeds: list(f.seed, '1', 'seed', true),
    rates: list(f.rates, quick ? '5' : '3,5', 'rates'),
    durationS,
    warmupS,
    tenants: numberFlag(f.tenants, 150, 'tenants', true),
    endpoints: numberFlag(f.endpoints, 8, 'endpoints', true),
    isolates: numberFlag(f.isolates, 1, 'isolates', true),
    probeMs: f['probe-ms'] === '0' ? 0 : numberFlag(f['probe-ms'], 10_000, 'probe-ms'),
    threads: numberFlag(f.jobs, availableParallelism(), 'jobs', true),
    quick,
  };
}

/** llm-d's shape (150 tenants, ~6k-token shared contexts), scaled down to a short run. */
const workloadOf = (s: Settings, seed: number, rate: number): WorkloadParams => ({
  seed,
  tenants: s.tenants,
  systemTokens: [5_000, 7_000],
  conversationRate: rate,
  durationS: s.durationS,
  turns: [1, 8],
  userTokens: [100, 500],
  outputTokens: [100, 300],
  thinkS: 5,
});

async function run(argv: readonly string[]): Promise<number> {
  const s = settingsOf(argv);
  const started = performance.now();
  console.log('CPU cost of prefix routing per request (Node):');
  const cost = measureCost(benchCandidates(s.endpoints), benchModel('least-connections'), SHARING);
  for (const c of cost) console.log(`  ${c.name}: ${fmt(c.us, 1)} µs`);

  const cases = s.seeds.flatMap((seed) => s.rates.map((rate) => ({ seed, rate })));
  const jobs = cases.flatMap(({ seed, rate }) =>
    POLICIES.map((p) => {
      const options: SimOptions = { endpoints: s.endpoints, profile: PROFILE, sharing: SHARING, warmupS: s.warmupS, isolates: s.isolates, probeMs: s.probeMs, seed };
      return { workload: workloadOf(s, seed, rate), policyId: p.id, options };
    }),
  );
  console.log(`Simulating ${jobs.length} runs on ${Math.min(s.threads, jobs.length)} worker threads (model ${MODEL_ID}, load bound c = ${LOAD_BOUND}):`);
  const results = await runJobs(jobs, s.threads, (job, r) =>
    console.log(`  seed ${job.workload.seed}, ${job.workload.conversationRate} conversations/s, ${POLICIES.find((p) => p.id === r.policyId)?.label}: ${fmt(r.wallMs / 1000, 1)} s`),
  );
  const runs: Run[] = cases.map((c, i) => ({ ...c, results: results.slice(i * POLICIES.length, (i + 1) * POLICIES.length) }));

  const command = `npm run bench -- prefix${argv.length > 0 ? ` ${argv.join(' ')}` : ''}`;
  const md = markdown({
    runs,
    workload: workloadOf(s, s.seeds[0] ?? 1, s.rates[0] ?? 1),
    profile: PROFILE,
    sharing: SHARING,
    endpoints: s.endpoints,
    warmupS: s.warmupS,
    isolates: s.isolates,
    probeMs: s.probeMs,
    threads: Math.min(s.threads, jobs.length),
    wallS: (performance.now() - started) / 1000,
    cost,
    command,
  });
  console.log(`\n${md}\n`);
  // One gateway process and a fleet of isolates are two deployments: each keeps its own section.
  const section = s.isolates === 1 ? 'prefix' : 'prefix-isolates';
  if (s.quick) console.log('(quick run: bench/RESULTS.md not updated)');
  else writeSection(section, md, { after: 'prefix' });
  return 0;
}

export const benchmark: Benchmark = {
  summary: 'prefix-affinity routing in a discrete-event simulation: 8 simulated vLLM engines, 150 tenants; hit rate, TTFT p50/p90, throughput per policy',
  usage: USAGE,
  run,
};
