// `npm run bench -- <name> [flags]`: one entry for every benchmark. Each benchmark is a
// module under bench/ exporting `benchmark` (see bench/lib/benchmark.ts); add one line here.
import { UsageError, type Benchmark } from './lib/benchmark.ts';
import { interrupted } from './lib/children.ts';

const BENCHMARKS: Record<string, { summary: string; load: () => Promise<Benchmark> }> = {
  cache: {
    summary: 'response-cache latency per tier: a hit in L1 / L3 (and L2 under wrangler dev with --wrangler) next to a miss, a bypass and a direct call',
    load: async () => (await import('./cache.ts')).benchmark,
  },
  overhead: {
    summary: 'gateway overhead vs a direct call and a bare Node proxy (Node and wrangler dev), one run, side by side',
    load: async () => (await import('./overhead.ts')).benchmark,
  },
  'node-loop': {
    summary: "the Node gateway's own code per request in-process (serve's request listener, no socket, canned upstream) next to the Hono floor: CPU µs/req, --baseline <ref> for before/after in one run, --cpu-prof for where it goes",
    load: async () => (await import('./node-loop.ts')).benchmark,
  },
  workerd: {
    summary: 'the Worker in raw workerd serve next to a pass-through Worker (the floor): CPU per request side by side (target ≤ 150 µs), --baseline <ref> for before/after, its own code replayed inside the isolate, the isolate\'s JavaScript vs runtime split from an inspector profile, what single runtime calls cost',
    load: async () => (await import('./workerd.ts')).benchmark,
  },
  classify: {
    summary: 'classifier latency: p50/p99 per request up to a 1,000,000-character prompt (target p99 ≤ 0.2 ms at 128k characters: the classifier reads a fixed budget)',
    load: async () => (await import('./classify.ts')).benchmark,
  },
  failover: {
    summary: "steady load over three simulated regions; one region's simulators are killed mid-run and restarted: failed requests, time to drain and to recover, p99 before/during/after",
    load: async () => (await import('./failover.ts')).benchmark,
  },
  chaos: {
    summary: 'steady load over three simulated regions with keys, cache and health on Redis; faults in turn (region killed, slow first byte, 30 % errors, cut streams, Redis down, stale prober snapshot): failed requests, silent truncations, answers after the deadline, time for traffic to leave and return',
    load: async () => (await import('./chaos.ts')).benchmark,
  },
  soak: {
    summary: 'ten minutes at a steady moderate rate, streaming and not, keys and cache on Redis: gateway RSS and heap sampled, p99 per minute, errors (goal: flat, 0)',
    load: async () => (await import('./soak.ts')).benchmark,
  },
  limits: {
    summary: 'per-key limits on the hot path: the limiter (memory, Redis deferred/strict) and switchyard serve with an rpm limit; CPU per request, added latency, store round trips',
    load: async () => (await import('./limits.ts')).benchmark,
  },
  propagation: {
    summary: 'two switchyard serve gateways sharing Redis (and one on the key file): how long a revocation or a limit change takes to reach each',
    load: async () => (await import('./propagation.ts')).benchmark,
  },
  bundle: {
    summary: 'Worker bundle (wrangler deploy --dry-run, minified): raw and gzip sizes, top contributors from the metafile; fails over 150 KiB gzip',
    load: async () => (await import('./bundle.ts')).benchmark,
  },
  scale: {
    summary: 'the Node gateway as the fleet grows: CPU per request (model id and auto) and idle CPU for one model on 3, 30 and 300 endpoints, one run, side by side',
    load: async () => (await import('./scale.ts')).benchmark,
  },
  continuation: {
    summary: 'mid-stream failover on the stream path: µs per relayed SSE chunk with the option off, opted in while nothing fails, and on a continuation leg',
    load: async () => (await import('./continuation.ts')).benchmark,
  },
  fuzz: {
    summary: 'hostile client at volume: ≥10,000 malformed requests (20 input classes) at switchyard serve and a share in raw workerd; counts by status and class, 0 5xx, live heap after forced GC before/after',
    load: async () => (await import('./fuzz.ts')).benchmark,
  },
  prefix: {
    summary: 'prefix-affinity routing in a discrete-event simulation: 8 simulated vLLM engines, 150 tenants; hit rate, TTFT p50/p90, throughput per policy',
    load: async () => (await import('./prefix.ts')).benchmark,
  },
  flood: {
    summary: 'floods of 100,000 unique cacheable requests, session ids and prefixes, and unknown keys at switchyard serve; RSS sampled over each, against a stated bound',
    load: async () => (await import('./flood.ts')).benchmark,
  },
};

const names = Object.keys(BENCHMARKS);

function help(): string {
  const width = Math.max(...names.map((n) => n.length));
  return `Usage: npm run bench -- <benchmark> [flags]     (or: node bench/run.ts <benchmark> [flags])

Benchmarks:
${names.map((n) => `  ${n.padEnd(width)}  ${BENCHMARKS[n]?.summary ?? ''}`).join('\n')}

Common flags: --duration <s> (seconds per measurement), --rounds <n>, --quick (short smoke run).
\`npm run bench -- <benchmark> --help\` lists a benchmark's own flags.
Results go to bench/RESULTS.md, one section per benchmark.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const entry = BENCHMARKS[name];
  if (!entry) {
    console.error(`bench: unknown benchmark "${name}"; available: ${names.join(', ')} (see npm run bench -- --help)`);
    return 2;
  }
  const benchmark = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(`Usage: npm run bench -- ${name} [flags]\n\n${benchmark.summary}\n\nFlags:\n${benchmark.usage}`);
    return 0;
  }
  try {
    return await benchmark.run(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench ${name}: ${error.message} (see npm run bench -- ${name} --help)`);
      return 2;
    }
    throw error;
  }
}

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (error) {
  const signal = interrupted();
  if (signal) {
    // The signal handler stops the children and exits; this is only the measurement it cut short.
    await new Promise(() => {});
  }
  console.error(`\nbench: FAILED — ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
}
// Explicit: keep-alive sockets of the load generators must not hold the process open.
process.exit(code);
