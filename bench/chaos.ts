// `npm run bench -- chaos`: bounded open-loop load (100 req/s by default, half of it streaming)
// through the Node gateway over the simulated federation (bench/lib/federation-stack.ts: keys,
// cache and health snapshot on Redis), with one fault at a time, each in its own window and on a
// fresh gateway:
//
//   region-kill      us-east's two simulators SIGKILLed, later started again on the same ports
//   slow-first-byte  one endpoint answers only after the routing policy's first-byte timeout
//   errors-30        one endpoint fails 30 % of its requests (503)
//   stream-cut       one endpoint cuts every stream after a few chunks
//   store-down       redis-server (behind the REST bridge) stopped, later started again
//   stale-snapshot   the prober stops writing; meanwhile one endpoint fails every request
//
// Measured from the client's side, per request: its status, how its stream ended (`[DONE]`, an
// error event, or neither: a silent truncation), its duration against the deadline (the
// policy's totalMs), and from the gateway's request log (joined by x-request-id) which
// endpoints it touched: when traffic left the faulty endpoint and when it came back.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { relative, resolve } from 'node:path';
import { BREAKER_DEFAULTS } from '../src/health/circuit-breaker.ts';
import { answerProblem, choicesProblem, countOutcomes, OUTCOME_NAMES, OUTCOMES, outcomeOf, SILENT, type AnswerOutcome } from './lib/answer-outcome.ts';
import { numberFlag, parseFlags, shareFlag, UsageError, type Benchmark } from './lib/benchmark.ts';
import { ROOT, stop, stopAllAndReport } from './lib/children.ts';
import { CHAT_PATH, endpointIdOf, listening, MODEL, simLabel, startSim, type LogLine, type PolicyPlan, type Sim } from './lib/federation.ts';
import { OUT, startFederationStack, type FederationStack } from './lib/federation-stack.ts';
import { openLoop, type OpenLoopSample } from './lib/open-loop.ts';
import { publishSection } from './lib/results-file.ts';
import { machineLoadNote, watchMachineLoad, type MachineLoad } from './lib/machine-load.ts';
import { codeVersion, machine } from './lib/run-info.ts';
import { fmt, percentile } from './lib/stats.ts';

const LAST_JSON = resolve(OUT, 'chaos-last.json');
const rel = (path: string) => relative(ROOT, path);
const CONNECTIONS = 256;
const WARMUP_S = 3;
/** A touch-free stretch this long after the fault means the endpoint left rotation (breaker probes come later, and rarely). */
const LEFT_GAP_MS = 2_000;

// Mid-stream failover on, as the issue asks: a stream cut after its first bytes is continued elsewhere.
const POLICY: PolicyPlan = { name: 'chaos-bench', timeouts: { connectMs: 1000, firstByteMs: 2000, totalMs: 10_000, streamIdleMs: 2000 }, midStreamFailover: true };
const DEADLINE_MS = POLICY.timeouts.totalMs;

interface Settings {
  rate: number;
  seconds: number;
  streamShare: number;
  /** Share of the streams that ask for n = 2 with logprobs (each choice continued on its own). */
  multiShare: number;
  maxTokens: number;
  cutAfterChunks: number;
  faults: readonly string[];
  profile: string;
  probeIntervalMs: number;
  quick: boolean;
  /** Each fault also runs first on a gateway whose routing policy has these weights, side by side. */
  baselineWeights: Readonly<Record<string, number>> | undefined;
}

// ---------------------------------------------------------------- the faults

interface Fault {
  readonly name: string;
  /** What is done, for the report. */
  readonly what: (s: Settings) => string;
  /** The simulators whose traffic should leave while the fault lasts (none: nothing to leave). */
  readonly targets: (stack: FederationStack) => Sim[];
  /** At the start of the measured window, before the fault (optional). */
  readonly atStart?: (stack: FederationStack) => Promise<void> | void;
  readonly inject: (stack: FederationStack, s: Settings) => Promise<void>;
  readonly clear: (stack: FederationStack, s: Settings) => Promise<void>;
  /** At the end of the window (optional). */
  readonly atEnd?: (stack: FederationStack) => Promise<void> | void;
}

const sim = (stack: FederationStack, region: string, pod: string): Sim => {
  const found = stack.sims.find((x) => x.region === region && x.pod === pod);
  if (!found) throw new Error(`no simulator ${region}/${pod}`);
  return found;
};
const usEast = (stack: FederationStack) => stack.sims.filter((x) => x.region === 'us-east');

const FAULTS: readonly Fault[] = [
  {
    name: 'region-kill',
    what: () => "us-east's two simulators (the whole region) SIGKILLed, then started again on the same ports",
    targets: usEast,
    inject: async (stack) => {
      await Promise.all(usEast(stack).map((x) => (x.child ? stop(x.child, 'SIGKILL', 1000) : undefined)));
      for (const x of usEast(stack)) if (await listening(x.port)) throw new Error(`${simLabel(x)} still accepts connections after SIGKILL`);
    },
    clear: async (stack, s) => {
      await Promise.all(usEast(stack).map(async (x) => (x.child = await startSim(x, s.profile))));
    },
  },
  {
    name: 'slow-first-byte',
    what: () => `us-east/pod-a answers ${POLICY.timeouts.firstByteMs + 1500} ms late (the policy's first-byte timeout is ${POLICY.timeouts.firstByteMs} ms)`,
    targets: (stack) => [sim(stack, 'us-east', 'pod-a')],
    inject: (stack) => stack.setFaults(sim(stack, 'us-east', 'pod-a'), { addedLatencyMs: POLICY.timeouts.firstByteMs + 1500 }),
    clear: (stack) => stack.setFaults(sim(stack, 'us-east', 'pod-a'), { addedLatencyMs: 0 }),
  },
  {
    name: 'errors-30',
    what: () => 'eu-west/pod-a answers 30 % of its requests with HTTP 503 (drawn per request)',
    targets: (stack) => [sim(stack, 'eu-west', 'pod-a')],
    inject: (stack) => stack.setFaults(sim(stack, 'eu-west', 'pod-a'), { errorRate: 0.3, errorStatus: 503 }),
    clear: (stack) => stack.setFaults(sim(stack, 'eu-west', 'pod-a'), { errorRate: 0 }),
  },
  {
    name: 'stream-cut',
    what: (s) => `apac/pod-a drops the connection of every stream after ${s.cutAfterChunks} chunks (non-streaming answers are whole)`,
    targets: (stack) => [sim(stack, 'apac', 'pod-a')],
    inject: (stack, s) => stack.setFaults(sim(stack, 'apac', 'pod-a'), { cutAfterChunks: s.cutAfterChunks }),
    clear: (stack) => stack.setFaults(sim(stack, 'apac', 'pod-a'), { cutAfterChunks: null }),
  },
  {
    name: 'store-down',
    what: () => 'redis-server (keys, cache, health snapshot; behind the REST bridge, which stays up) stopped with SIGTERM, then started again with its data',
    targets: () => [],
    inject: (stack) => stack.redis.stopRedis(),
    clear: (stack) => stack.redis.startRedis(),
  },
  {
    name: 'stale-snapshot',
    what: () => "the prober stops writing at the window's start (the stored snapshot says every endpoint is healthy and grows stale); then us-east/pod-a fails every request (503) and its /health says 503, then recovers; the prober resumes at the window's end",
    targets: (stack) => [sim(stack, 'us-east', 'pod-a')],
    atStart: (stack) => stack.prober.pause(),
    inject: (stack) => stack.setFaults(sim(stack, 'us-east', 'pod-a'), { unhealthy: true, errorRate: 1, errorStatus: 503 }),
    clear: (stack) => stack.setFaults(sim(stack, 'us-east', 'pod-a'), { unhealthy: false, errorRate: 0 }),
    atEnd: (stack) => stack.prober.resume(),
  },
];
const FAULT_NAMES = FAULTS.map((f) => f.name);

const USAGE = `  --seconds <s>         measured load per fault (default 60; --quick 20): the fault starts at 2/15 of it and is cleared at 2/3
  --rate <n>            requests per second, open loop (default 100)
  --stream-share <0..1> share of requests that stream (default 0.5)
  --multi-share <0..1>  share of those streams asking n = 2 with logprobs (default 0.25)
  --max-tokens <n>      max_tokens per request (default 8: streams of about 10 events)
  --cut-after <n>       the stream-cut fault's chunks before the cut (default 3)
  --faults <a,b,…>      which faults, in order (default all: ${FAULT_NAMES.join(',')})
  --profile <name>      simulator latency profile: h100-8b | fast (default h100-8b)
  --probe-interval <ms> the health prober's interval (default 1000)
  --baseline-weights <type=w,…>
                        run each fault first on a gateway whose RoutingPolicy has these scorer weights,
                        then on the default (load=1,latency=1, error-rate at its default), side by side;
                        e.g. load=1,latency=1,error-rate=0 routes as before the error-rate scorer
  --quick               20 s per fault; bench/RESULTS.md is not updated
  -h, --help            this help

Each fault gets a fresh gateway and a ${WARMUP_S} s warm-up (not counted). About 7.5 minutes in all by default.`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, {
    seconds: { type: 'string' },
    rate: { type: 'string' },
    'stream-share': { type: 'string' },
    'multi-share': { type: 'string' },
    'max-tokens': { type: 'string' },
    'cut-after': { type: 'string' },
    faults: { type: 'string' },
    profile: { type: 'string' },
    'probe-interval': { type: 'string' },
    'baseline-weights': { type: 'string' },
  });
  if (f.rounds !== undefined || f.duration !== undefined) throw new UsageError('use --seconds (per fault); --duration and --rounds do not apply');
  const quick = f.quick === true;
  const faults = typeof f.faults === 'string' ? f.faults.split(',').map((x) => x.trim()) : FAULT_NAMES;
  const unknown = faults.filter((x) => !FAULT_NAMES.includes(x));
  if (unknown.length > 0 || faults.length === 0) throw new UsageError(`--faults: unknown ${unknown.join(', ') || '(none given)'}; known: ${FAULT_NAMES.join(', ')}`);
  const profile = typeof f.profile === 'string' ? f.profile : 'h100-8b';
  if (!['h100-8b', 'fast'].includes(profile)) throw new UsageError(`--profile must be h100-8b or fast (got "${profile}")`);
  return {
    rate: numberFlag(f.rate, 100, 'rate'),
    seconds: numberFlag(f.seconds, quick ? 20 : 60, 'seconds'),
    streamShare: shareFlag(f['stream-share'], 0.5, 'stream-share'),
    multiShare: shareFlag(f['multi-share'], 0.25, 'multi-share'),
    maxTokens: numberFlag(f['max-tokens'], 8, 'max-tokens', true),
    cutAfterChunks: numberFlag(f['cut-after'], 3, 'cut-after', true),
    faults,
    profile,
    probeIntervalMs: numberFlag(f['probe-interval'], 1000, 'probe-interval', true),
    quick,
    baselineWeights: typeof f['baseline-weights'] === 'string' ? weightsFlag(f['baseline-weights']) : undefined,
  };
}

/** `load=1,latency=1,error-rate=0` → the RoutingPolicy's weights (the fleet compiler checks the scorer names). */
function weightsFlag(text: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const part of text.split(',')) {
    const [name, value, extra] = part.split('=').map((x) => x.trim());
    const weight = Number(value);
    if (!name || !/^[a-z-]+$/.test(name) || extra !== undefined || value === '' || !(weight >= 0 && Number.isFinite(weight))) {
      throw new UsageError(`--baseline-weights: "${part}" is not scorer=weight (a weight ≥ 0)`);
    }
    weights[name] = weight;
  }
  return weights;
}

const weightsText = (weights: Readonly<Record<string, number>>) => Object.entries(weights).map(([k, v]) => `${k}=${v}`).join(', ');

// ---------------------------------------------------------------- one window

interface Row {
  index: number;
  sentAt: number;
  latencyMs: number;
  /** The gateway's own time for it (its request log): far below latencyMs means the time went outside the gateway. */
  gatewayMs: number;
  status: number;
  streaming: boolean;
  /** A stream asking n = 2 with logprobs. */
  multi: boolean;
  outcome: AnswerOutcome;
  error?: string;
  region: string | undefined;
  /** Endpoints an attempt was actually sent to (not skipped by a breaker), from the request log. */
  touched: string[];
  /** The endpoint whose answer the client got, from the request log. */
  servedBy: string | undefined;
  /** A stream whose upstream was cut: what mid-stream failover made of it (the request log). */
  continuation: string | undefined;
  /** Attempts actually sent upstream for it (the request log; 1 when it went straight through). */
  attempts: number;
  logged: boolean;
}

interface Window {
  fault: Fault;
  /** Run under the baseline weights (--baseline-weights), not the default policy. */
  baseline: boolean;
  injectAt: number;
  clearAt: number;
  /** When inject() / clear() started (ms into the window): the fault's start and end. */
  injected: number;
  cleared: number;
  /** When they finished (a region's restart includes its simulators' start-up). */
  injectDone: number;
  clearDone: number;
  rows: Row[];
  proberRounds: number;
  proberFailures: number;
  warmupFailed: number;
  error?: string;
}

// Streams and not alternate by a fixed pattern, so every second carries the same mix.
const streams = (index: number, share: number) => Math.floor((index + 1) * share) > Math.floor(index * share);
/** Streams asking n = 2 with logprobs: the same pattern over the streams' own numbering. */
const multi = (index: number, s: Settings) => streams(index, s.streamShare) && streams(Math.floor(index * s.streamShare), s.multiShare);
const MULTI_CHOICES = 2;

const requestBody = (runId: string, index: number, s: Settings) =>
  JSON.stringify({
    model: MODEL,
    messages: [{ role: 'user', content: `${runId} request ${index}: name one prime number.` }],
    max_tokens: s.maxTokens,
    // Greedy, so cacheable: every request is also a cache lookup (a miss) and a deferred write, on Redis.
    temperature: 0,
    ...(streams(index, s.streamShare) ? { stream: true } : {}),
    ...(multi(index, s) ? { n: MULTI_CHOICES, logprobs: true, top_logprobs: 1 } : {}),
  });

function toRow(x: OpenLoopSample, streaming: boolean, isMulti: boolean, log: LogLine | undefined): Row {
  const sent = log?.attempts.filter((a) => a.outcome !== 'circuit-open') ?? [];
  const served = [...sent].reverse().find((a) => typeof a.outcome === 'number' && a.outcome >= 200 && a.outcome < 300);
  return {
    index: x.index,
    sentAt: x.sentAt,
    latencyMs: x.latencyMs,
    gatewayMs: log?.ms ?? Number.NaN,
    status: x.status,
    streaming,
    multi: isMulti,
    outcome: outcomeOf(x),
    ...(x.error === undefined ? {} : { error: x.error }),
    region: x.headers['x-switchyard-region'],
    touched: [...new Set(sent.map((a) => a.endpoint))],
    servedBy: served?.endpoint,
    continuation: log?.continuation,
    attempts: sent.length,
    logged: log !== undefined,
  };
}

async function runWindow(stack: FederationStack, fault: Fault, s: Settings, baseline: boolean): Promise<Window> {
  await stack.resetFaults();
  stack.prober.resume();
  const weights = baseline ? s.baselineWeights : undefined;
  const gateway = await stack.startGateway(weights === undefined ? {} : { policy: { ...POLICY, name: 'chaos-baseline', weights } });
  const prefix = `${stack.runId}-${fault.name}${baseline ? '-baseline' : ''}`;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${stack.key}` };
  const load = (tag: string, durationMs: number, startedAt?: number) =>
    openLoop({
      origin: gateway.origin,
      rate: s.rate,
      durationMs,
      connections: CONNECTIONS,
      // Well past the deadline: an answer after it is measured, not cut off by the client.
      timeoutMs: DEADLINE_MS * 3,
      check: (body, i) => answerProblem(streams(i, s.streamShare))(body) ?? (multi(i, s) ? choicesProblem(body, MULTI_CHOICES) : undefined),
      request: (i) => ({ path: CHAT_PATH, headers: { ...headers, 'x-request-id': `${prefix}${tag}-${i}` }, body: requestBody(`${prefix}${tag}`, i, s) }),
      ...(startedAt === undefined ? {} : { startedAt }),
    });
  try {
    const warm = await load('-warm', WARMUP_S * 1000).done;
    const warmupFailed = warm.filter((x) => outcomeOf(x) !== 'ok').length;
    const injectAt = (2 / 15) * s.seconds * 1000;
    const clearAt = (2 / 3) * s.seconds * 1000;
    const rounds0 = stack.prober.rounds;
    const failures0 = stack.prober.failures;
    const t0 = performance.now() + 20;
    const at = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + ms - performance.now())));
    const run = load('', s.seconds * 1000, t0);
    let injected = Number.NaN;
    let cleared = Number.NaN;
    let injectDone = Number.NaN;
    let clearDone = Number.NaN;
    let error: string | undefined;
    const scenario = (async () => {
      try {
        await at(0);
        await fault.atStart?.(stack);
        await at(injectAt);
        injected = performance.now() - t0;
        await fault.inject(stack, s);
        injectDone = performance.now() - t0;
        console.log(`  ${fmt(injected / 1000, 1)} s: ${fault.name} injected (${Math.round(injectDone - injected)} ms)`);
        await at(clearAt);
        cleared = performance.now() - t0;
        await fault.clear(stack, s);
        clearDone = performance.now() - t0;
        console.log(`  ${fmt(cleared / 1000, 1)} s: ${fault.name} cleared (${Math.round(clearDone - cleared)} ms)`);
      } catch (e) {
        error = e instanceof Error ? e.message : String(e);
        console.error(`  ${fault.name}: ${error}`);
      }
    })();
    const [samples] = await Promise.all([run.done, scenario]);
    await fault.atEnd?.(stack);
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && samples.some((x) => !stack.logs.has(`${prefix}-${x.index}`))) await new Promise((r) => setTimeout(r, 100));
    const rows = samples.map((x) => toRow(x, streams(x.index, s.streamShare), multi(x.index, s), stack.logs.get(`${prefix}-${x.index}`)));
    for (const x of samples) stack.logs.delete(`${prefix}-${x.index}`);
    return {
      fault,
      baseline,
      injectAt,
      clearAt,
      injected,
      cleared,
      injectDone,
      clearDone,
      rows,
      proberRounds: stack.prober.rounds - rounds0,
      proberFailures: stack.prober.failures - failures0,
      warmupFailed,
      ...(error === undefined ? {} : { error }),
    };
  } finally {
    await stack.stopGateway(gateway);
  }
}

// ---------------------------------------------------------------- analysis

interface Analysis {
  counts: Record<AnswerOutcome, number>;
  failed: number;
  failedDuring: number;
  silent: number;
  late: number;
  /** Of the same, those the gateway's own log also puts past the deadline. */
  lateInGateway: number;
  maxLatency: number;
  p99: { before: number; during: number; after: number };
  /** ms after the injection; undefined: no target; NaN: never within the window. */
  leaveMs: number | undefined;
  /** Requests that touched a target after it left and before the clear (breaker probes). */
  touchesAfterLeaving: number;
  returnMs: number | undefined;
  /** Share of requests that reached a target: before the fault, in its last 10 s (did traffic stay away?), in the window's last 10 s (served by it). */
  targetShare: { before: number; faultLastTen: number; lastTenSeconds: number };
  /** The window of failures: first and last failed request, ms after the injection. */
  failureSpan: { first: number; last: number } | undefined;
  /** Streams whose upstream was cut after their first bytes: continued on another endpoint, or lost (ended with the error event). */
  cutStreams: CutStreams & { multi: CutStreams };
  /** Attempts sent after a request's first (a failure sent it elsewhere): in the window, and of requests sent during the fault. */
  secondAttempts: { total: number; during: number };
  logged: number;
}

interface CutStreams {
  cut: number;
  continued: number;
  lost: number;
}

const cutStreamsOf = (rows: readonly Row[]): CutStreams => ({
  cut: rows.filter((r) => r.continuation !== undefined).length,
  continued: rows.filter((r) => r.continuation === 'continued').length,
  lost: rows.filter((r) => r.continuation !== undefined && r.continuation !== 'continued').length,
});

const share = (rows: readonly Row[], touched: (r: Row) => boolean) => (rows.length === 0 ? Number.NaN : (100 * rows.filter(touched).length) / rows.length);

function analyse(w: Window, stack: FederationStack): Analysis {
  const targets = new Set(w.fault.targets(stack).map(endpointIdOf));
  const inject = Number.isFinite(w.injected) ? w.injected : w.injectAt;
  const clear = Number.isFinite(w.cleared) ? w.cleared : w.clearAt;
  const end = Math.max(...w.rows.map((r) => r.sentAt), clear);
  const touches = (r: Row) => r.touched.some((e) => targets.has(e));
  const served = (r: Row) => r.outcome === 'ok' && r.servedBy !== undefined && targets.has(r.servedBy);
  const before = w.rows.filter((r) => r.sentAt < inject);
  const during = w.rows.filter((r) => r.sentAt >= inject && r.sentAt < clear);
  const after = w.rows.filter((r) => r.sentAt >= clear);
  const failedRows = w.rows.filter((r) => r.outcome !== 'ok');

  let leaveMs: number | undefined;
  let touchesAfterLeaving = 0;
  let returnMs: number | undefined;
  if (targets.size > 0) {
    const touchTimes = during.filter(touches).map((r) => r.sentAt);
    const gapAt = touchTimes.findIndex((t, i) => (touchTimes[i + 1] ?? clear) - t >= LEFT_GAP_MS);
    if (touchTimes.length === 0) leaveMs = 0;
    else if (gapAt < 0) leaveMs = Number.NaN;
    else {
      leaveMs = Math.max(0, (touchTimes[gapAt] ?? inject) - inject);
      touchesAfterLeaving = touchTimes.length - gapAt - 1;
    }
    const back = after.find(served);
    returnMs = back === undefined ? Number.NaN : back.sentAt - clear;
  }
  const lat = (rows: readonly Row[]) => percentile(rows.filter((r) => r.outcome === 'ok').map((r) => r.latencyMs), 99);
  return {
    counts: countOutcomes(w.rows.map((r) => r.outcome)),
    failed: failedRows.length,
    failedDuring: failedRows.filter((r) => r.sentAt >= inject && r.sentAt < clear).length,
    silent: w.rows.filter((r) => SILENT.has(r.outcome)).length,
    late: w.rows.filter((r) => r.latencyMs > DEADLINE_MS).length,
    lateInGateway: w.rows.filter((r) => r.gatewayMs > DEADLINE_MS).length,
    maxLatency: Math.max(...w.rows.map((r) => r.latencyMs)),
    p99: { before: lat(before), during: lat(during), after: lat(after) },
    leaveMs,
    touchesAfterLeaving,
    returnMs,
    targetShare: {
      before: share(before, touches),
      faultLastTen: share(during.filter((r) => r.sentAt >= clear - 10_000), touches),
      lastTenSeconds: share(w.rows.filter((r) => r.sentAt >= end - 10_000), served),
    },
    failureSpan: failedRows.length === 0 ? undefined : { first: (failedRows[0]?.sentAt ?? 0) - inject, last: (failedRows[failedRows.length - 1]?.sentAt ?? 0) - inject },
    cutStreams: { ...cutStreamsOf(w.rows), multi: cutStreamsOf(w.rows.filter((r) => r.multi)) },
    secondAttempts: { total: extraAttempts(w.rows), during: extraAttempts(during) },
    logged: w.rows.filter((r) => r.logged).length,
  };
}

const extraAttempts = (rows: readonly Row[]) => rows.reduce((n, r) => n + Math.max(0, r.attempts - 1), 0);

// ---------------------------------------------------------------- the report

const ms = (x: number | undefined) => (x === undefined ? 'n/a' : Number.isFinite(x) ? `${Math.round(x)} ms` : '**never**');
const sec = (x: number) => fmt(x / 1000, 1);

function timeline(w: Window, stack: FederationStack): string {
  const targets = new Set(w.fault.targets(stack).map(endpointIdOf));
  const seconds = Math.ceil(Math.max(...w.rows.map((r) => r.sentAt)) / 1000);
  const lines: string[] = [];
  for (let t = 0; t < seconds; t++) {
    const bucket = w.rows.filter((r) => r.sentAt >= t * 1000 && r.sentAt < (t + 1) * 1000);
    if (bucket.length === 0) continue;
    const marks = [
      ...(w.injected >= t * 1000 && w.injected < (t + 1) * 1000 ? ['fault'] : []),
      ...(w.cleared >= t * 1000 && w.cleared < (t + 1) * 1000 ? ['cleared'] : []),
    ];
    const ok = bucket.filter((r) => r.outcome === 'ok');
    const fails = bucket.filter((r) => r.outcome !== 'ok');
    lines.push(
      `| ${t}–${t + 1} | ${bucket.length} | ${fails.length}${fails.length > 0 ? ` (${[...new Set(fails.map((r) => r.outcome))].join(', ')})` : ''} | ` +
        `${targets.size === 0 ? '–' : bucket.filter((r) => r.touched.some((e) => targets.has(e))).length} | ${fmt(percentile(ok.map((r) => r.latencyMs), 50), 0)} | ${fmt(percentile(ok.map((r) => r.latencyMs), 99), 0)} | ${marks.join(', ')} |`,
    );
  }
  return ['| s | sent | not ok | touched the target | p50 ms | p99 ms | event |', '|---|---:|---:|---:|---:|---:|---|', ...lines].join('\n');
}

function failureExamples(w: Window): string {
  const failed = w.rows.filter((r) => r.outcome !== 'ok');
  if (failed.length === 0) return '';
  const byReason = new Map<string, number>();
  for (const r of failed) {
    const reason = `${r.outcome}${r.streaming ? ' (stream)' : ''}: ${(r.error ?? `HTTP ${r.status}`).replace(/\d{4,}/g, 'N').replace(/chatcmpl-[\w-]+/g, 'chatcmpl-…').slice(0, 160)}`;
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  return `\n\nWhat the client saw when not ok: ${[...byReason.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${v} × “${k.replace(/\|/g, '\\|').replace(/\n/g, ' ')}”`)
    .join('; ')}.`;
}

/** The fault's name, and the weights when the window ran under the baseline. */
const windowName = (w: Pick<Window, 'fault' | 'baseline'>, s: Settings) => (w.baseline && s.baselineWeights ? `${w.fault.name} (baseline: ${weightsText(s.baselineWeights)})` : w.fault.name);

/** The section: the whole run, or one of its own for a run of some faults only or with a baseline (the full run's section stays). */
const sectionOf = (s: Settings) => (s.faults.length === FAULT_NAMES.length && s.baselineWeights === undefined ? 'chaos' : `chaos-${s.faults.join('-')}${s.baselineWeights ? '-baseline' : ''}`);

function buildReport(windows: readonly Window[], analyses: readonly Analysis[], stack: FederationStack, s: Settings, meta: { startedAt: Date; finishedAt: Date; load: MachineLoad; code: string }): string {
  const rows = windows.map((w, i) => {
    const a = analyses[i];
    if (!a) return '';
    const c = a.counts;
    return (
      `| ${windowName(w, s)} | ${w.rows.length} | **${a.failed}** (${a.failedDuring} during the fault) | ${c['http-error']} / ${c['no-response']} / ${c['error-event']} | **${a.silent}** | **${a.late}** (max ${ms(a.maxLatency)}; ${a.lateInGateway} by the gateway's own clock) | ` +
      `${ms(a.leaveMs)}${a.touchesAfterLeaving > 0 ? ` (+${a.touchesAfterLeaving} probes)` : ''} | ${ms(a.returnMs)} | ${fmt(a.targetShare.before, 1)}% / ${fmt(a.targetShare.faultLastTen, 1)}% / ${fmt(a.targetShare.lastTenSeconds, 1)}% | ${fmt(a.p99.before, 0)} / ${fmt(a.p99.during, 0)} / ${fmt(a.p99.after, 0)} | ${a.cutStreams.cut} / ${a.cutStreams.continued} / ${a.cutStreams.lost} (n = 2: ${a.cutStreams.multi.cut} / ${a.cutStreams.multi.continued} / ${a.cutStreams.multi.lost}) | ${a.secondAttempts.total} (${a.secondAttempts.during}) |`
    );
  });
  const details = windows
    .map((w, i) => {
      const a = analyses[i];
      return `<details><summary>${windowName(w, s)}: ${w.fault.what(s)}</summary>

Injected at ${sec(w.injected)} s (done ${ms(w.injectDone - w.injected)} later), cleared at ${sec(w.cleared)} s (done ${ms(w.clearDone - w.cleared)} later)${w.error ? ` — **the fault's script failed**: ${w.error}` : ''}. Outcomes: ${OUTCOME_NAMES.map((n) => `${n} ${a?.counts[n] ?? 0}`).join(', ')}. ${a?.failureSpan ? `Failed requests were sent from ${ms(a.failureSpan.first)} to ${ms(a.failureSpan.last)} after the injection. ` : ''}Prober rounds written in the window: ${w.proberRounds} (${w.proberFailures} failed). Warm-up requests not ok: ${w.warmupFailed}. Request log lines matched: ${a?.logged ?? 0} of ${w.rows.length}.${failureExamples(w)}

${timeline(w, stack)}

</details>`;
    })
    .join('\n\n');
  const seconds = Math.round((meta.finishedAt.getTime() - meta.startedAt.getTime()) / 1000);
  const b = BREAKER_DEFAULTS;
  const title =
    sectionOf(s) === 'chaos'
      ? 'Chaos: one fault at a time under steady load'
      : `Chaos: ${s.faults.join(', ')}${s.baselineWeights ? `, each under the baseline weights (${weightsText(s.baselineWeights)}) and then the default policy` : ' only'}`;
  return `## ${title}

Measured ${meta.startedAt.toISOString()} (run took ${seconds} s) on ${machine()}. ${machineLoadNote(meta.load)} Gateway code: ${meta.code}.

${s.rate} req/s open loop (${fmt(100 * s.streamShare, 0)}% streaming, ${fmt(100 * s.multiShare, 0)}% of the streams with \`n\` 2 and logprobs, \`max_tokens\` ${s.maxTokens}, \`temperature\` 0 so each is a cache lookup and write, every prompt unique so each a miss) for ${s.seconds} s per fault through \`switchyard serve\` over three regions (us-east: 2 simulators, eu-west: 1, apac: 1; \`--profile ${s.profile}\`), keys, response cache (L3) and health snapshot on Redis (redis-server behind the Upstash REST bridge), the health prober apart from the gateway every ${s.probeIntervalMs} ms (as the Worker's cron). Each fault: a fresh gateway, ${WARMUP_S} s warm-up, then the fault from ${sec((2 / 15) * s.seconds * 1000)} s to ${sec((2 / 3) * s.seconds * 1000)} s of the window. Routing policy: weights ${weightsText(POLICY.weights ?? { load: 1, latency: 1 })} (error-rate at its default, twice the others together)${s.baselineWeights ? `; the baseline rows: ${weightsText(s.baselineWeights)}` : ''}; timeouts connect ${POLICY.timeouts.connectMs} ms, first byte ${POLICY.timeouts.firstByteMs} ms, stream idle ${POLICY.timeouts.streamIdleMs} ms, **deadline (totalMs) ${DEADLINE_MS} ms**.

| Fault | requests | failed (goal 0) | of them HTTP error / no response / error event | silent truncations (goal 0) | after the deadline (goal 0) | traffic leaves the target | traffic returns after the clear | target's share: before / the fault's last 10 s / the window's last 10 s | p99 ms before / during / after | streams cut / continued / lost | second attempts (of requests sent during the fault) |
|---|---:|---:|---|---:|---:|---|---|---|---|---|---:|
${rows.join('\n')}

- **failed**: anything but a complete answer (${Object.entries(OUTCOMES).filter(([k]) => k !== 'ok').map(([k, v]) => `\`${k}\`: ${v}`).join('; ')}). Another region could serve every request in every fault here, so the goal is 0 throughout. Streams cut after their first byte are continued on another endpoint (the policy opts in to mid-stream failover); one that cannot be continued must end with an error event, never silently.
- **streams cut / continued / lost**: streams whose upstream was cut or stalled after the first bytes (the request log's \`continuation\`): continued to a whole answer on another endpoint, or lost (\`failed\`: no endpoint could continue it; \`ineligible\`: a kind of stream that is never continued) and ended with the error event. In brackets, the streams asking \`n\` 2 with logprobs: each counts as ok only when both choices finished and each choice's logprob tokens spell exactly its text (no piece twice or missing).
- **second attempts**: attempts sent after a request's first (its first endpoint failed before the first byte and the gateway sent it elsewhere: the client waited for both), from the request log.
- **silent truncations**: \`truncated\` + \`connection-cut\` — a stream the client got without \`data: [DONE]\` and without an error event.
- **after the deadline**: the client had its whole answer (or error) later than the policy's totalMs after sending; \`by the gateway's own clock\`: those whose duration in the gateway's request log (arrival to last byte) is past it too — the rest of the time went outside the gateway (the client's and the gateway's processes waiting for the shared CPU).
- **target's share**: of the requests sent, those that reached a target endpoint before the fault and in its last 10 s (near 0: traffic stayed away), and those a target answered in the window's last 10 s (back in rotation).
- **traffic leaves**: from the injection to the last request (sent while the fault lasted) that reached a target endpoint before a stretch of ${LEFT_GAP_MS / 1000} s with none; \`+N probes\`: requests that still reached it later (the breaker's half-open probes, every ${b.cooldownMs / 1000} s doubling to ${b.maxCooldownMs / 1000} s). \`never\`: no such stretch before the clear. From the gateway's request log (attempts actually sent, not those skipped by an open breaker), joined by \`x-request-id\`.
- **traffic returns**: from the start of the clear (for region-kill: the restart, so including the simulators' start-up) to the first request sent afterwards that a target endpoint answered completely.
- Breakers (defaults): open after ${b.consecutiveFailures} failures in a row or ≥ ${b.errorRatio * 100}% of ≥ ${b.minRequests} requests in ${b.windowMs / 1000} s.

${details}

Every request of the run: \`${rel(LAST_JSON)}\` (local, git-ignored).

Commands (ports picked free at run time; paths relative to the repository):

\`\`\`
npm run bench -- chaos${s.quick ? ' --quick' : ''}   # --seconds ${s.seconds} --rate ${s.rate} --stream-share ${s.streamShare} --multi-share ${s.multiShare} --max-tokens ${s.maxTokens} --cut-after ${s.cutAfterChunks} --faults ${s.faults.join(',')} --profile ${s.profile} --probe-interval ${s.probeIntervalMs}${s.baselineWeights ? ` --baseline-weights ${Object.entries(s.baselineWeights).map(([k, v]) => `${k}=${v}`).join(',')}` : ''}
${stack.commands().join('\n')}
\`\`\`${stack.otherLines.count > 0 ? `\n\nThe gateways wrote ${stack.otherLines.count} other line(s) (first ${stack.otherLines.first.length}): ${stack.otherLines.first.map((l) => `\`${l.replace(/`/g, "'")}\``).join('; ')}` : ''}`;
}

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const machineLoad = watchMachineLoad();
  const code = codeVersion();
  try {
    const stack = await startFederationStack({ name: 'chaos', profile: s.profile, policy: POLICY, probeIntervalMs: s.probeIntervalMs });
    const windows: Window[] = [];
    for (const name of s.faults) {
      const fault = FAULTS.find((f) => f.name === name);
      if (!fault) continue;
      for (const baseline of s.baselineWeights ? [true, false] : [false]) {
        console.log(`${windowName({ fault, baseline }, s)}: ${fault.what(s)} — ${s.seconds} s at ${s.rate} req/s…`);
        const done = await runWindow(stack, fault, s, baseline);
        const a = analyse(done, stack);
        console.log(
          `  ${done.rows.length} requests: ${a.failed} failed, ${a.silent} silent truncations, ${a.late} after the deadline; leave ${ms(a.leaveMs)}, return ${ms(a.returnMs)}; ` +
            `target's share ${fmt(a.targetShare.before, 1)}% / ${fmt(a.targetShare.faultLastTen, 1)}% / ${fmt(a.targetShare.lastTenSeconds, 1)}%; second attempts ${a.secondAttempts.total}; streams cut ${a.cutStreams.cut}, continued ${a.cutStreams.continued}, lost ${a.cutStreams.lost} (n = 2 with logprobs: ${a.cutStreams.multi.cut} / ${a.cutStreams.multi.continued} / ${a.cutStreams.multi.lost})`,
        );
        windows.push(done);
      }
    }
    await stack.prober.stop();
    const analyses = windows.map((w) => analyse(w, stack));
    const markdown = buildReport(windows, analyses, stack, s, { startedAt, finishedAt: new Date(), load: machineLoad(), code });
    writeFileSync(LAST_JSON, JSON.stringify({ settings: s, windows: windows.map((w) => ({ ...w, fault: w.fault.name })) }, null, 1));
    const section = sectionOf(s);
    publishSection(section, markdown, { quick: s.quick, after: section === 'chaos' ? 'failover' : 'chaos' });
    const bad = analyses.reduce((n, a) => n + a.silent + a.late, 0) + windows.filter((w) => w.error !== undefined).length;
    return bad > 0 ? 1 : 0;
  } finally {
    await stopAllAndReport();
  }
}

export const benchmark: Benchmark = {
  summary:
    'Steady load (streaming and not) over three simulated regions with keys, cache and health on Redis; faults in turn (region killed, slow first byte, 30 % errors, cut streams, Redis down, stale prober snapshot): ' +
    'failed requests, silent truncations, answers after the deadline, time for traffic to leave and return, streams cut / continued / lost.',
  usage: USAGE,
  run: async (argv) => run(settingsFrom(argv)),
};
