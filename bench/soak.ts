// `npm run bench -- soak`: ten minutes (by default) of steady open-loop load at a moderate rate
// through the gateway over the simulated federation, keys and response cache on Redis
// (bench/lib/federation-stack.ts), half of it streaming and a share of it repeated prompts (cache
// hits): `switchyard serve` with the V8 flags an operator runs it with (node/heap-settings.ts),
// or, with --runtime workerd, the Worker in raw `workerd serve`. Every few seconds the gateway's
// RSS (/proc), V8 heap (its inspector) and CPU are sampled; on Node the live heap after each major GC V8 runs by itself is read too (a GC
// observer, so no forced GC changes the run). The report sets the first minute against the last:
// RSS, heap, p50/p99, and every error; and a section of its own per runtime.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { answerProblem, countOutcomes, OUTCOME_NAMES, outcomeOf, type AnswerOutcome } from './lib/answer-outcome.ts';
import { numberFlag, parseFlags, shareFlag, UsageError, type Benchmark } from './lib/benchmark.ts';
import { ROOT, stopAllAndReport } from './lib/children.ts';
import { CHAT_PATH, MODEL, type PolicyPlan } from './lib/federation.ts';
import { OUT, startFederationStack } from './lib/federation-stack.ts';
import { CdpSession, target } from './lib/inspector-profile.ts';
import { snapshotReport, type SnapshotFile } from './lib/heap-growth.ts';
import { openLoop } from './lib/open-loop.ts';
import { publishSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { groupCpuMs } from './lib/cpu-usage.ts';
import { availableParallelism, loadavg } from 'node:os';
import { DEFAULT_EDGE_CACHE } from '../src/cache/policy.ts';
import { SERVE_V8_FLAGS } from '../node/heap-settings.ts';
import { fmt, percentile, signed } from './lib/stats.ts';

const RUNTIMES = ['node', 'workerd'] as const;
type Runtime = (typeof RUNTIMES)[number];
const HEAPS = ['serve', 'default'] as const;
type HeapFlags = (typeof HEAPS)[number];
/** The run's name: its files in bench/out and its section of bench/RESULTS.md, so the variants can run at once. */
type Named = Pick<Settings, 'runtime' | 'heap' | 'uniqueNoStore' | 'l1MiB' | 'heapSnapshots' | 'workerdV8Flags'>;
const runName = (s: Named) =>
  `${s.runtime === 'workerd' ? 'soak-workerd' : s.heap === 'serve' ? 'soak' : 'soak-default-heap'}${s.uniqueNoStore ? '-unique-no-store' : ''}${s.l1MiB === undefined ? '' : '-small-l1'}${s.heapSnapshots ? '-heap-snapshots' : ''}${s.workerdV8Flags.length > 0 ? '-v8-flags' : ''}`;
const lastJson = (s: Named) => resolve(OUT, `${runName(s)}-last.json`);
const rel = (path: string) => relative(ROOT, path);
const WARMUP_S = 10;

const POOL = 100;
const POLICY: PolicyPlan = { name: 'soak-bench', timeouts: { connectMs: 1000, firstByteMs: 10_000, totalMs: 20_000, streamIdleMs: 10_000 } };

interface Settings {
  minutes: number;
  rate: number;
  streamShare: number;
  repeatShare: number;
  maxTokens: number;
  sampleEveryS: number;
  profile: string;
  runtime: Runtime;
  heap: HeapFlags;
  /** Unique requests sent with Cache-Control: no-store, so the L1 holds only the pooled prompts. */
  uniqueNoStore: boolean;
  /** The L1 response cache's bound in MiB (a CachePolicy in the run's fleet), so it fills early; absent: the default. */
  l1MiB: number | undefined;
  /** Node: heap snapshots of the gateway at the start, middle and end of the window, compared by constructor. */
  heapSnapshots: boolean;
  /** workerd only: V8 flags through its config's \`v8Flags\` (e.g. heap sizes). */
  workerdV8Flags: readonly string[];
  quick: boolean;
}

const USAGE = `  --minutes <n>          measured load (default 10; --quick 1)
  --rate <n>             requests per second, open loop (default 40)
  --stream-share <0..1>  share of requests that stream (default 0.5)
  --repeat-share <0..1>  share of requests repeating one of ${POOL} prompts, so cache hits (default 0.2)
  --max-tokens <n>       max_tokens per request (default 16)
  --sample-every <s>     RSS and heap sampling interval (default 5)
  --profile <name>       simulator latency profile: h100-8b | fast (default h100-8b)
  --runtime <name>       node: \`switchyard serve\` | workerd: the Worker in raw \`workerd serve\` (default node)
  --heap <flags>         Node only: serve = the production V8 flags (${SERVE_V8_FLAGS.join(' ')}) |
                         default = V8's defaults for this machine (default serve)
  --unique-no-store      unique requests carry Cache-Control: no-store, so the L1 response cache
                         does not fill during the run (its growth apart from the rest)
  --l1-mib <n>           the L1 response cache's bound in MiB (default: the built-in ${DEFAULT_EDGE_CACHE.l1.maxBytes / 2 ** 20}), so it
                         fills within the first minutes and the rest of the run shows what grows besides it
  --heap-snapshots       Node only: heap snapshots of the gateway at the start, middle and end of the
                         window (bench/out/<run>-*.heapsnapshot), compared by constructor in the report
  --workerd-v8-flags=<f> workerd only: V8 flags for its config's v8Flags, space-separated
                         (e.g. "--max-old-space-size=64 --max-semi-space-size=2")
  --quick                one minute; bench/RESULTS.md is not updated
  -h, --help             this help`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, {
    minutes: { type: 'string' },
    rate: { type: 'string' },
    'stream-share': { type: 'string' },
    'repeat-share': { type: 'string' },
    'max-tokens': { type: 'string' },
    'sample-every': { type: 'string' },
    profile: { type: 'string' },
    runtime: { type: 'string' },
    heap: { type: 'string' },
    'unique-no-store': { type: 'boolean' },
    'l1-mib': { type: 'string' },
    'heap-snapshots': { type: 'boolean' },
    'workerd-v8-flags': { type: 'string' },
  });
  if (f.rounds !== undefined || f.duration !== undefined) throw new UsageError('use --minutes; --duration and --rounds do not apply');
  const quick = f.quick === true;
  const profile = typeof f.profile === 'string' ? f.profile : 'h100-8b';
  if (!['h100-8b', 'fast'].includes(profile)) throw new UsageError(`--profile must be h100-8b or fast (got "${profile}")`);
  const runtime = typeof f.runtime === 'string' ? f.runtime : 'node';
  if (!RUNTIMES.some((r) => r === runtime)) throw new UsageError(`--runtime must be ${RUNTIMES.join(' or ')} (got "${runtime}")`);
  const heap = typeof f.heap === 'string' ? f.heap : 'serve';
  if (!HEAPS.some((h) => h === heap)) throw new UsageError(`--heap must be ${HEAPS.join(' or ')} (got "${heap}")`);
  if (runtime === 'workerd' && f.heap !== undefined) throw new UsageError('--heap applies to --runtime node (workerd sizes its isolates itself)');
  if (runtime === 'workerd' && f['heap-snapshots'] === true) throw new UsageError('--heap-snapshots applies to --runtime node');
  const workerdV8Flags = typeof f['workerd-v8-flags'] === 'string' ? f['workerd-v8-flags'].split(/\s+/).filter((x) => x !== '') : [];
  if (runtime !== 'workerd' && workerdV8Flags.length > 0) throw new UsageError('--workerd-v8-flags applies to --runtime workerd (Node takes --heap)');
  if (workerdV8Flags.some((x) => !/^--[a-z0-9-_]+(=[\w.-]+)?$/i.test(x))) throw new UsageError(`--workerd-v8-flags: each must look like --name or --name=value (got "${workerdV8Flags.join(' ')}")`);
  return {
    minutes: numberFlag(f.minutes, quick ? 1 : 10, 'minutes'),
    rate: numberFlag(f.rate, 40, 'rate'),
    streamShare: shareFlag(f['stream-share'], 0.5, 'stream-share'),
    repeatShare: shareFlag(f['repeat-share'], 0.2, 'repeat-share'),
    maxTokens: numberFlag(f['max-tokens'], 16, 'max-tokens', true),
    sampleEveryS: numberFlag(f['sample-every'], 5, 'sample-every'),
    profile,
    runtime: runtime as Runtime,
    heap: heap as HeapFlags,
    uniqueNoStore: f['unique-no-store'] === true,
    l1MiB: f['l1-mib'] === undefined ? undefined : numberFlag(f['l1-mib'], 0, 'l1-mib'),
    heapSnapshots: f['heap-snapshots'] === true,
    workerdV8Flags,
    quick,
  };
}

/** Which request the index is: a repeated prompt (by pool slot) or a unique one; and whether it streams. */
function plan(index: number, s: Settings): { slot: number | undefined; stream: boolean } {
  // Fixed patterns, so every second carries the same mix.
  const repeated = Math.floor((index + 1) * s.repeatShare) > Math.floor(index * s.repeatShare);
  if (repeated) {
    const slot = Math.floor(index * s.repeatShare) % POOL;
    return { slot, stream: slot % 2 === 1 && s.streamShare > 0 };
  }
  return { slot: undefined, stream: Math.floor((index + 1) * s.streamShare) > Math.floor(index * s.streamShare) };
}

interface MemorySample {
  /** Seconds into the measured load. */
  at: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  /** The gateway's CPU so far (ms, /proc), and the machine's 1-minute load average. */
  cpuMs: number;
  load1: number;
}

/** A major GC V8 ran by itself (Node): when (s into the measured load) and the heap outside the young generation just after it. */
interface MajorGc {
  at: number;
  heapMiB: number;
}

const MiB = 2 ** 20;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

/**
 * Installed in the Node gateway through its inspector: a PerformanceObserver of V8's GCs that
 * keeps, per major GC, the time and the heap outside the new space (≈ the live heap: read in the
 * observer's callback, right after the GC), and the pause time of every GC. Nothing is forced, so
 * the run is the run. `drain` returns what was gathered since the last call.
 */
const GC_OBSERVER = `(() => {
  const { PerformanceObserver, constants } = process.getBuiltinModule('node:perf_hooks');
  const v8 = process.getBuiltinModule('node:v8');
  const log = { major: [], pauseMs: 0, count: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      log.count++;
      log.pauseMs += e.duration;
      if (e.detail && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        const outsideNew = v8.getHeapSpaceStatistics().filter((s) => s.space_name !== 'new_space').reduce((a, s) => a + s.space_used_size, 0);
        log.major.push([Date.now(), outsideNew]);
      }
    }
  }).observe({ entryTypes: ['gc'] });
  globalThis.__soakGcDrain = () => { const out = { ...log }; log.major = []; log.pauseMs = 0; log.count = 0; return out; };
  return true;
})()`;

interface GcDrain {
  major: [number, number][];
  pauseMs: number;
  count: number;
}

interface Minute {
  minute: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  rssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  cacheHits: number;
  cpuMsPerRequest: number;
  load1: number;
  /** Node: GC pause ms and major GCs in the minute; the lowest heap after one of them. */
  gcPauseMs?: number;
  majorGcs?: number;
  liveAfterMajorMiB?: number;
}

/** Least-squares slope of [seconds, MiB] points, in MiB per minute (NaN with fewer than two). */
function slopePerMinute(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return Number.NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / points.length;
  const my = points.reduce((a, p) => a + p[1], 0) / points.length;
  const sxy = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : (60 * sxy) / sxx;
}

/** The sentence on other load, from the load averages sampled over the run. */
function sharedNote(loads: readonly number[], cores: number): string {
  const highest = Math.max(...loads);
  const median = percentile(loads, 50);
  const range = `1-minute load average median ${fmt(median, 2)}, highest ${fmt(highest, 2)}, on ${cores} cores, this benchmark's own processes included`;
  if (highest > cores) return `${range}. **The machine was shared**: more runnable work than cores for part of the run, so latency figures carry other processes' load; memory figures do not.`;
  return `${range}: the load stayed within the cores, so the run did not queue for CPU.`;
}

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const code = codeVersion();
  const cores = availableParallelism();
  const onNode = s.runtime === 'node';
  try {
    const policy: PolicyPlan = s.l1MiB === undefined ? POLICY : { ...POLICY, l1MaxBytes: Math.round(s.l1MiB * MiB) };
    const stack = await startFederationStack({ name: runName(s), profile: s.profile, policy, probeIntervalMs: 1000 });
    const nodeArgs = onNode && s.heap === 'serve' ? SERVE_V8_FLAGS : [];
    const gateway = onNode ? await stack.startGateway({ inspect: true, nodeArgs }) : await stack.startWorkerdGateway({ inspect: true, v8Flags: s.workerdV8Flags });
    const pid = gateway.child.proc.pid;
    if (pid === undefined || gateway.inspector === undefined) throw new Error('the gateway has no pid or inspector');
    const cdp = await CdpSession.open(await target(gateway.inspector, ''));
    // workerd's inspector is served on the isolate's thread, which runs only for a request: an
    // idle isolate (before and after the load) answers a call once /healthz wakes it.
    const call = async <T>(method: string): Promise<T> => {
      if (onNode) return cdp.call<T>(method);
      const answer = cdp.call<T>(method);
      let answered = false;
      void answer.finally(() => (answered = true)).catch(() => undefined);
      while (!answered && (await Promise.race([answer.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 200))])) === false) {
        await (await fetch(`${gateway.origin}/healthz`)).arrayBuffer();
      }
      return answer;
    };
    const heap = async () => call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    const liveHeapMiB = async () => {
      await call('HeapProfiler.collectGarbage');
      return (await heap()).usedSize / MiB;
    };
    const evaluate = async <T>(expression: string) => (await cdp.call<{ result: { value: T } }>('Runtime.evaluate', { expression, returnByValue: true })).result.value;
    const cpuMs = () => groupCpuMs(pid) ?? Number.NaN; // started detached: the gateway leads its own process group
    const snapshots: SnapshotFile[] = [];
    const snapshot = async (label: string, at: number) => {
      if (!s.heapSnapshots) return;
      const path = resolve(OUT, `${runName(s)}-${label}.heapsnapshot`);
      const started = performance.now();
      await evaluate<string>(`process.getBuiltinModule('node:v8').writeHeapSnapshot(${JSON.stringify(path)})`);
      snapshots.push({ label, at, path, pauseMs: performance.now() - started });
    };

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.key}` };
    const load = (tag: string, durationMs: number) =>
      openLoop({
        origin: gateway.origin,
        rate: s.rate,
        durationMs,
        connections: 128,
        timeoutMs: POLICY.timeouts.totalMs * 2,
        check: (body, i) => answerProblem(plan(i, s).stream)(body),
        request: (i) => {
          const { slot, stream } = plan(i, s);
          const content = slot === undefined ? `${stack.runId}${tag} request ${i}: name one prime number.` : `${stack.runId} pooled prompt ${slot}: name one prime number.`;
          return {
            path: CHAT_PATH,
            headers: { ...headers, 'x-request-id': `${stack.runId}${tag}-${i}`, ...(slot === undefined && s.uniqueNoStore ? { 'cache-control': 'no-store' } : {}) },
            body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: s.maxTokens, temperature: 0, ...(stream ? { stream: true } : {}) }),
          };
        },
      });

    console.log(`warm-up: ${WARMUP_S} s at ${s.rate} req/s…`);
    const warm = await load('-warm', WARMUP_S * 1000).done;
    const warmFailed = warm.filter((x) => outcomeOf(x) !== 'ok').length;
    if (onNode) await evaluate<boolean>(GC_OBSERVER);
    const liveAtStart = await liveHeapMiB();
    await snapshot('start', 0);
    if (onNode) await evaluate<GcDrain>('globalThis.__soakGcDrain()'); // the forced GC above is not the run's
    console.log(`measuring: ${s.minutes} min at ${s.rate} req/s; RSS and heap every ${s.sampleEveryS} s…`);
    const durationMs = s.minutes * 60_000;
    const measured = load('', durationMs);
    const wallAtStart = Date.now() - (performance.now() - measured.startedAt);
    const memory: MemorySample[] = [];
    const majors: MajorGc[] = [];
    const gcPerSample: { at: number; pauseMs: number; count: number }[] = [];
    const sampler = (async () => {
      for (let t = 0; t * 1000 <= durationMs; t += s.sampleEveryS) {
        await new Promise((r) => setTimeout(r, Math.max(0, measured.startedAt + t * 1000 - performance.now())));
        if (s.heapSnapshots && snapshots.length === 1 && t * 1000 >= durationMs / 2) await snapshot('middle', t);
        const h = await heap();
        memory.push({ at: t, rssMiB: rssOf(pid), heapUsedMiB: h.usedSize / MiB, heapTotalMiB: h.totalSize / MiB, cpuMs: cpuMs(), load1: loadavg()[0] ?? Number.NaN });
        if (onNode) {
          const gc = await evaluate<GcDrain>('globalThis.__soakGcDrain()');
          for (const [when, bytes] of gc.major) majors.push({ at: (when - wallAtStart) / 1000, heapMiB: bytes / MiB });
          gcPerSample.push({ at: t, pauseMs: gc.pauseMs, count: gc.count });
        }
        if (t % 60 === 0) console.log(`  ${t} s: RSS ${fmt(memory[memory.length - 1]?.rssMiB ?? Number.NaN, 1)} MiB, heap ${fmt(h.usedSize / MiB, 1)} MiB, ${measured.inflight()} in flight`);
      }
    })();
    const [samples] = await Promise.all([measured.done, sampler]);
    await new Promise((r) => setTimeout(r, 2000)); // the last deferred writes (cache, usage)
    const rssBeforeGc = rssOf(pid);
    const heapBeforeGc = await heap();
    await snapshot('end', durationMs / 1000);
    const liveAtEnd = await liveHeapMiB();
    const heapAfterGc = await heap();
    const rssAtEnd = rssOf(pid);
    cdp.close();
    await stack.stopGateway(gateway);
    await stack.prober.stop();

    const outcomes: AnswerOutcome[] = samples.map((x) => outcomeOf(x));
    const counts = countOutcomes(outcomes);
    const errors = samples.filter((_, i) => outcomes[i] !== 'ok');
    const cache = new Map<string, number>();
    for (const x of samples) cache.set(x.headers['x-switchyard-cache'] ?? '(none)', (cache.get(x.headers['x-switchyard-cache'] ?? '(none)') ?? 0) + 1);
    const minutes: Minute[] = [];
    for (let m = 0; m < Math.ceil(s.minutes); m++) {
      const inMinute = samples.filter((x) => x.sentAt >= m * 60_000 && x.sentAt < (m + 1) * 60_000);
      const ok = inMinute.filter((x) => outcomeOf(x) === 'ok').map((x) => x.latencyMs);
      const inWindow = <T extends { at: number }>(xs: readonly T[]) => xs.filter((x) => x.at >= m * 60 && x.at < (m + 1) * 60);
      const mem = inWindow(memory);
      // CPU over the minute: from its first sample to the next minute's first (or the last).
      const from = mem[0];
      const to = memory.find((x) => x.at >= (m + 1) * 60) ?? memory[memory.length - 1];
      const gcs = inWindow(gcPerSample);
      const majorIn = inWindow(majors);
      minutes.push({
        minute: m + 1,
        requests: inMinute.length,
        errors: inMinute.length - ok.length,
        p50: percentile(ok, 50),
        p99: percentile(ok, 99),
        rssMiB: percentile(mem.map((x) => x.rssMiB), 50),
        heapUsedMiB: percentile(mem.map((x) => x.heapUsedMiB), 50),
        heapTotalMiB: percentile(mem.map((x) => x.heapTotalMiB), 50),
        cacheHits: inMinute.filter((x) => (x.headers['x-switchyard-cache'] ?? '').startsWith('hit')).length,
        cpuMsPerRequest: from && to && to !== from ? (to.cpuMs - from.cpuMs) / (((to.at - from.at) / 60) * inMinute.length) : Number.NaN,
        load1: percentile(mem.map((x) => x.load1), 50),
        ...(onNode
          ? {
              gcPauseMs: gcs.reduce((a, x) => a + x.pauseMs, 0),
              majorGcs: majorIn.length,
              liveAfterMajorMiB: majorIn.length > 0 ? Math.min(...majorIn.map((x) => x.heapMiB)) : Number.NaN,
            }
          : {}),
      });
    }
    const first = minutes[0];
    const last = minutes[minutes.length - 1];
    const drift = (f: (m: Minute) => number, digits = 1) => (first && last ? `${fmt(f(first), digits)} → ${fmt(f(last), digits)} (${signed(f(last) - f(first), digits)})` : '–');
    const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
    const rssAll = memory.map((x) => x.rssMiB);
    // After the first minute: what "flat after warm-up" is judged on.
    const rssAfterFirst = memory.filter((x) => x.at >= 60).map((x) => x.rssMiB);
    const totalCpuMs = (memory[memory.length - 1]?.cpuMs ?? Number.NaN) - (memory[0]?.cpuMs ?? Number.NaN);
    const liveAfterMajor = majors.map((x) => x.heapMiB);
    const what = onNode
      ? `\`switchyard serve\` (${s.heap === 'serve' ? `Node with the production V8 flags \`${SERVE_V8_FLAGS.join(' ')}\`, node/heap-settings.ts` : "Node with V8's defaults for this machine, no heap flags"})`
      : 'the Worker in raw `workerd serve` (workers/gateway.ts over the same fleet, bundled as `wrangler deploy --dry-run` does; bench/lib/workerd.ts)';
    // The L1 keeps answers up to its byte bound (LRU; an expired entry leaves when touched or
    // evicted): with ~32 distinct answers a second it fills for longer than the run. Filling it
    // first is not practical here (the simulators answer ~64 requests at a time), so its growth is
    // in the window, and read as such: the live heap after V8's major GCs shows its pace.
    const heapGrowth = snapshots.length >= 2 ? snapshotReport(snapshots).markdown : '';
    // The pace in the second half of the window (least squares, MiB per minute): what "flat" is judged on.
    const half = durationMs / 2000;
    const rssSlope = slopePerMinute(memory.filter((x) => x.at >= half).map((x) => [x.at, x.rssMiB]));
    const liveSlope = slopePerMinute(majors.filter((x) => x.at >= half).map((x) => [x.at, x.heapMiB]));
    const l1Bound = `${fmt((s.l1MiB ?? DEFAULT_EDGE_CACHE.l1.maxBytes / MiB), s.l1MiB !== undefined && s.l1MiB < 1 ? 2 : 0)} MiB`;
    const l1Note = s.uniqueNoStore
      ? `Unique requests carry \`Cache-Control: no-store\` (\`--unique-no-store\`): the L1 response cache holds only the ${POOL} pooled prompts, so it does not grow during the run and what remains is the gateway's own memory behaviour. Warm-up: ${WARMUP_S} s of the mix, ${warm.length} requests, ${warmFailed} not ok.`
      : s.l1MiB !== undefined
        ? `The L1 response cache is bounded at ${l1Bound} for this run (\`--l1-mib\`, a CachePolicy in the run's fleet; the default is ${fmt(DEFAULT_EDGE_CACHE.l1.maxBytes / MiB, 0)} MiB), so with every unique answer a new entry it is full within the first minutes and evicts from then on: what the second half shows is the gateway with every bounded structure full. Warm-up: ${WARMUP_S} s of the mix, ${warm.length} requests, ${warmFailed} not ok.`
        : `The L1 response cache (${l1Bound} bound, LRU) fills during the run: every unique answer is a new entry, so the live heap grows with the cache until it reaches its bound — read the live-heap rows with that in mind (\`--l1-mib\` makes it fill early). Warm-up: ${WARMUP_S} s of the mix, ${warm.length} requests, ${warmFailed} not ok.`;
    const gcRow = onNode
      ? `\n| live heap after V8's own major GCs, MiB (lowest per minute; a PerformanceObserver in the gateway, nothing forced) | ${drift((m) => m.liveAfterMajorMiB ?? Number.NaN)}; ${majors.length} major GCs, ${fmt(Math.min(...liveAfterMajor), 1)}–${fmt(Math.max(...liveAfterMajor), 1)} after them |\n| GC pause ms per minute (every GC) | ${drift((m) => m.gcPauseMs ?? Number.NaN, 0)} |`
      : '';
    const title = `${onNode ? (s.heap === 'serve' ? 'Soak' : "Soak with V8's default heap") : 'Soak in raw workerd'}${s.uniqueNoStore ? ', unique requests not cached' : ''}${s.l1MiB === undefined ? '' : `, L1 bounded at ${s.l1MiB} MiB`}${s.heapSnapshots ? ', heap snapshots' : ''}${s.workerdV8Flags.length > 0 ? `, V8 flags ${s.workerdV8Flags.join(' ')}` : ''}`;
    const markdown = `## ${title}: ${s.minutes} minute${s.minutes === 1 ? '' : 's'} of steady load, keys and cache on Redis

Measured ${startedAt.toISOString()} (run took ${seconds} s) on ${machine()}; 1-minute load average ${fmt(loadAtStart, 2)} at the start, ${fmt(loadAverage(), 2)} at the end; ${sharedNote(memory.map((x) => x.load1), cores)} Gateway code: ${code}.

${s.rate} req/s open loop for ${s.minutes} min through ${what} (${samples.length} requests) over three simulated regions (4 simulators, \`--profile ${s.profile}\`, \`max_tokens\` ${s.maxTokens}); ${fmt(100 * s.streamShare, 0)}% of the unique requests stream, ${fmt(100 * s.repeatShare, 0)}% of all requests repeat one of ${POOL} prompts (half of those streaming), so they are answered from the cache (every request has \`temperature\` 0, so is cacheable). Keys, the response cache's L3 and the health snapshot on Redis (redis-server behind the Upstash REST bridge); the prober apart from the gateway, every second. Gateway RSS and CPU from /proc every ${s.sampleEveryS} s, V8 heap from its inspector (\`Runtime.getHeapUsage\`); live heap after a forced GC (\`HeapProfiler.collectGarbage\`) before and after the measured window${onNode ? ", and after every major GC V8 ran by itself during it (read by a GC observer, so the run is not disturbed)" : ''}.

${l1Note}

| Measure | first minute → last minute |
|---|---|
| **errors** (anything but a complete answer; goal 0) | **${errors.length}** in all (${OUTCOME_NAMES.filter((n) => n !== 'ok').map((n) => `${n} ${counts[n]}`).join(', ')}); ${first?.errors ?? '–'} → ${last?.errors ?? '–'} |
| **RSS MiB** (median of the minute's samples) | **${drift((m) => m.rssMiB)}**; lowest ${fmt(Math.min(...rssAll), 1)}, highest ${fmt(Math.max(...rssAll), 1)}; after the first minute ${fmt(Math.min(...rssAfterFirst), 1)}–${fmt(Math.max(...rssAfterFirst), 1)}; ${fmt(rssBeforeGc, 1)} after the run (V8 heap total ${fmt(heapBeforeGc.totalSize / MiB, 1)}), ${fmt(rssAtEnd, 1)} after a forced GC (V8 heap total ${fmt(heapAfterGc.totalSize / MiB, 1)}) |
| V8 heap used MiB (median of the minute's samples) | ${drift((m) => m.heapUsedMiB)} |
| live heap after a forced GC, MiB: before the window → after it | ${fmt(liveAtStart, 1)} → ${fmt(liveAtEnd, 1)} (${signed(liveAtEnd - liveAtStart, 1)}) |${gcRow}
| **slope over the second half of the window**, MiB per minute (least squares) | RSS ${signed(rssSlope, 2)} (${memory.filter((x) => x.at >= half).length} samples)${onNode ? `; live heap after V8's own major GCs ${signed(liveSlope, 2)} (${majors.filter((x) => x.at >= half).length} GCs)` : ''} |
| **p99 ms** (complete answers, from sending to the last byte) | **${drift((m) => m.p99)}** |
| p50 ms | ${drift((m) => m.p50)} |
| gateway CPU ms per request (/proc; ${fmt(totalCpuMs / 1000, 1)} s in all) | ${drift((m) => m.cpuMsPerRequest, 2)} |
| answers by \`x-switchyard-cache\` | ${[...cache.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')} |

<details><summary>Per minute</summary>

| minute | requests | errors | cache hits | p50 ms | p99 ms | RSS MiB | heap used MiB | heap total MiB |${onNode ? ' live after major GC MiB | major GCs | GC pause ms |' : ''} CPU ms/request | load avg |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|${onNode ? '---:|---:|---:|' : ''}---:|---:|
${minutes.map((m) => `| ${m.minute} | ${m.requests} | ${m.errors} | ${m.cacheHits} | ${fmt(m.p50, 1)} | ${fmt(m.p99, 1)} | ${fmt(m.rssMiB, 1)} | ${fmt(m.heapUsedMiB, 1)} | ${fmt(m.heapTotalMiB, 1)} |${onNode ? ` ${fmt(m.liveAfterMajorMiB ?? Number.NaN, 1)} | ${m.majorGcs ?? '–'} | ${fmt(m.gcPauseMs ?? Number.NaN, 0)} |` : ''} ${fmt(m.cpuMsPerRequest, 2)} | ${fmt(m.load1, 2)} |`).join('\n')}

</details>

${heapGrowth === '' ? '' : `${heapGrowth}\n\n`}Every request and memory sample: \`${rel(lastJson(s))}\` (local, git-ignored).

Commands (ports picked free at run time; paths relative to the repository):

\`\`\`
npm run bench -- soak${s.quick ? ' --quick' : ''}   # --runtime ${s.runtime}${onNode ? ` --heap ${s.heap}` : ''}${s.uniqueNoStore ? ' --unique-no-store' : ''}${s.l1MiB === undefined ? '' : ` --l1-mib ${s.l1MiB}`}${s.heapSnapshots ? ' --heap-snapshots' : ''}${s.workerdV8Flags.length > 0 ? ` --workerd-v8-flags "${s.workerdV8Flags.join(' ')}"` : ''} --minutes ${s.minutes} --rate ${s.rate} --stream-share ${s.streamShare} --repeat-share ${s.repeatShare} --max-tokens ${s.maxTokens} --sample-every ${s.sampleEveryS} --profile ${s.profile}
${stack.commands().join('\n')}
\`\`\`${errors.length > 0 ? `\n\nFirst errors: ${errors.slice(0, 5).map((x) => `\`${outcomeOf(x)} ${x.status} ${(x.error ?? '').slice(0, 160).replace(/`/g, "'")}\``).join('; ')}` : ''}${stack.otherLines.count > 0 ? `\n\nThe gateway wrote ${stack.otherLines.count} other line(s) (first ${stack.otherLines.first.length}): ${stack.otherLines.first.map((l) => `\`${l.replace(/`/g, "'")}\``).join('; ')}` : ''}`;
    writeFileSync(lastJson(s), JSON.stringify({ settings: s, memory, majors, gcPerSample, minutes, samples }, null, 1));
    publishSection(runName(s), markdown, { quick: s.quick, after: runName(s) === 'soak' ? 'chaos' : 'soak' });
    return errors.length > 0 ? 1 : 0;
  } finally {
    await stopAllAndReport();
  }
}

export const benchmark: Benchmark = {
  summary: 'Ten minutes of steady load, streaming and not, keys and cache on Redis: gateway RSS and heap sampled, p99 per minute, errors (goal: flat, 0).',
  usage: USAGE,
  run: async (argv) => run(settingsFrom(argv)),
};
