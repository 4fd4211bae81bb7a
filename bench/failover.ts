// `npm run bench -- failover`: steady open-loop load through the Node gateway over three
// simulated regions; the victim region's simulators are SIGKILLed mid-run and later restarted
// on the same ports. What is recorded: failed requests (the target is zero), how long the dead
// region still received traffic after the kill, how long after the restart it served again,
// and latency (p50/p99) and the traffic split per region before, during and after.
//
//   us-east   two simulators (a pool: pod-a, pod-b)   ← the default victim
//   eu-west   one simulator
//   apac      one simulator
//
// Each simulator is its own process (`switchyard sim --profile h100-8b`), requiring its
// region's upstream key (`--api-key`), which the gateway reads from the env var named by the
// Region's credentials.secretName, as in the dev stack.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { relative, resolve } from 'node:path';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { BREAKER_DEFAULTS } from '../src/health/circuit-breaker.ts';
import { READER_DEFAULTS } from '../src/health/snapshot-reader.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { numberFlag, parseFlags, UsageError, type Benchmark } from './lib/benchmark.ts';
import { completionProblem as checkCompletion } from './lib/answer-outcome.ts';
import { childEnv, freePort, NODE, ROOT, start, stop, stopAll } from './lib/children.ts';
import { CHAT_PATH, fleetYaml, listening, MODEL, REGION_IDS, REGIONS, regionOf, requestLogSink, simLabel, startSim, type LogLine, type OtherLines, type Sim } from './lib/federation.ts';
import { openLoop, type OpenLoopSample } from './lib/open-loop.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, percentile } from './lib/stats.ts';

const PATH = CHAT_PATH;
const OUT = resolve(ROOT, 'bench', 'out');
const FLEET_FILE = resolve(OUT, 'failover-fleet.yaml');
const NO_KEYS_FILE = resolve(OUT, 'failover-no-keys.json');
const LAST_JSON = resolve(OUT, 'failover-last.json');
const rel = (path: string) => relative(ROOT, path);
/** Load generator connections: far more than rate × latency, so no request waits for one. */
const CONNECTIONS = 128;
const REQUEST_TIMEOUT_MS = 20_000;
const WARMUP_S = 3;

interface Settings {
  rate: number;
  duration: number;
  killAt: number;
  restartAt: number;
  victim: string;
  probeIntervalMs: number;
  profile: string;
  maxTokens: number;
  quick: boolean;
}

const USAGE = `  --duration <s>        seconds of measured load (default 45; --quick 18)
  --rate <n>            requests per second, open loop (default 100)
  --kill-at <s>         when the victim's simulators are SIGKILLed (default: duration / 3)
  --restart-at <s>      when they are started again on the same ports (default: 2 × duration / 3)
  --victim <region>     ${REGION_IDS.join(' | ')} (default us-east, the two-simulator pool)
  --probe-interval <ms> the gateway's health prober interval (default 1000)
  --profile <name>      simulator latency profile: h100-8b | fast (default h100-8b)
  --max-tokens <n>      max_tokens per request (default 4: about 70–90 ms per request on h100-8b)
  --quick               a short smoke run: 18 s, kill at 6 s, restart at 12 s; bench/RESULTS.md is not updated
  -h, --help            this help

A ${WARMUP_S} s warm-up at the same rate runs first and is not counted. About 60 s in all by default.`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, {
    rate: { type: 'string' },
    'kill-at': { type: 'string' },
    'restart-at': { type: 'string' },
    victim: { type: 'string' },
    'probe-interval': { type: 'string' },
    profile: { type: 'string' },
    'max-tokens': { type: 'string' },
  });
  if (f.rounds !== undefined) throw new UsageError('--rounds does not apply: the failover benchmark is one continuous run');
  const quick = f.quick === true;
  const duration = numberFlag(f.duration, quick ? 18 : 45, 'duration');
  const killAt = numberFlag(f['kill-at'], duration / 3, 'kill-at');
  const restartAt = numberFlag(f['restart-at'], (2 * duration) / 3, 'restart-at');
  if (!(killAt < restartAt && restartAt < duration)) throw new UsageError(`need --kill-at < --restart-at < --duration (got ${killAt}, ${restartAt}, ${duration})`);
  const victim = typeof f.victim === 'string' ? f.victim : 'us-east';
  if (!REGION_IDS.includes(victim)) throw new UsageError(`--victim must be one of ${REGION_IDS.join(', ')} (got "${victim}")`);
  const profile = typeof f.profile === 'string' ? f.profile : 'h100-8b';
  if (!['h100-8b', 'fast'].includes(profile)) throw new UsageError(`--profile must be h100-8b or fast (got "${profile}")`);
  return {
    rate: numberFlag(f.rate, 100, 'rate'),
    duration,
    killAt,
    restartAt,
    victim,
    probeIntervalMs: numberFlag(f['probe-interval'], 1000, 'probe-interval', true),
    profile,
    maxTokens: numberFlag(f['max-tokens'], 4, 'max-tokens', true),
    quick,
  };
}

// ---------------------------------------------------------------- setup

const requestBody = (index: number, maxTokens: number) =>
  JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: `Request ${index}: name one prime number.` }], max_tokens: maxTokens });

interface Events {
  /** Milliseconds after the start of the measured load. */
  kill: number;
  killed: number;
  restart: number;
  /** When every restarted simulator printed its ready line. */
  ready: number;
  restartError?: string;
  /** The gateway's own view, from polling GET /v1/models: when the victim left or rejoined available_regions. */
  availability: { at: number; available: boolean }[];
}

interface Row {
  index: number;
  sentAt: number;
  endedAt: number;
  dueAt: number;
  latencyMs: number;
  status: number;
  failed: boolean;
  error?: string;
  region: string | undefined;
  route: string;
  /** From x-switchyard-route (`attempts=N`), 1 when absent. */
  attempts: number;
  log: LogLine | undefined;
}

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const code = codeVersion();
  mkdirSync(OUT, { recursive: true });
  rmSync(NO_KEYS_FILE, { force: true });
  const runId = `fo${randomBytes(3).toString('hex')}`;
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'failover benchmark' });
  const upstreamKeys = new Map(REGIONS.map((r) => [r.id, `sim-${r.id}-${randomBytes(8).toString('hex')}`]));
  const logs = new Map<string, LogLine>();
  const other: OtherLines = { first: [], count: 0 };

  try {
    // Simulators: one process each, on ports fixed for the run (the restart reuses them).
    let seed = 1;
    const sims: Sim[] = [];
    for (const r of REGIONS) {
      for (const pod of r.pods) {
        const port = await freePort();
        sims.push({ region: r.id, pod, port, apiKey: upstreamKeys.get(r.id) ?? '', seed: seed++, child: undefined });
      }
    }
    console.log(`starting ${sims.length} simulators (profile ${s.profile}): ${sims.map((x) => `${x.region}/${x.pod} :${x.port}`).join(', ')}…`);
    await Promise.all(sims.map(async (x) => (x.child = await startSim(x, s.profile))));
    const victims = sims.filter((x) => x.region === s.victim);

    writeFileSync(FLEET_FILE, fleetYaml(sims, { name: 'failover-bench', timeouts: { connectMs: 1000, firstByteMs: 10000, totalMs: 20000, streamIdleMs: 10000 } }, 'bench/failover.ts'));
    const gatewayEnv: Record<string, string> = { SWITCHYARD_KEYS: JSON.stringify([record]) };
    for (const r of REGIONS) gatewayEnv[r.secretName] = upstreamKeys.get(r.id) ?? '';
    const gatewayArgs = ['cli/main.ts', 'serve', '--fleet', rel(FLEET_FILE), '--port', '0', '--probe-interval', String(s.probeIntervalMs), '--keys-file', rel(NO_KEYS_FILE)];
    console.log('starting the gateway…');
    const gateway = start('gateway', NODE, gatewayArgs, childEnv(gatewayEnv), { onLine: requestLogSink(runId, logs, other) });
    const origin = (await gateway.waitForLine(/gateway on (http:\/\/[\d.]+:\d+)/, 30_000))[1] ?? '';

    // Before measuring: the gateway serves this fleet, every simulator wants its key, and the gateway has it.
    const health = (await (await fetch(`${origin}/healthz`)).json()) as { regions?: number; endpoints?: number };
    if ((health.regions !== undefined && health.regions !== REGIONS.length) || (health.endpoints !== undefined && health.endpoints !== sims.length)) {
      throw new Error(`the gateway is not serving the benchmark fleet (healthz: ${JSON.stringify(health)})`);
    }
    for (const x of sims) {
      const ask = (auth: string | undefined) =>
        fetch(`http://127.0.0.1:${x.port}${PATH}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
          body: requestBody(0, 1),
        }).then(async (r) => (await r.arrayBuffer(), r.status));
      const [without, withKey] = [await ask(undefined), await ask(x.apiKey)];
      if (without !== 401 || withKey !== 200) throw new Error(`${simLabel(x)}: expected 401 without its upstream key and 200 with it, got ${without} / ${withKey}`);
    }
    const probe = await fetch(origin + PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'cache-control': 'no-store' },
      body: requestBody(0, s.maxTokens),
    });
    const probeText = await probe.text();
    if (probe.status !== 200 || checkCompletion(probeText) !== undefined) throw new Error(`the gateway's first answer was ${probe.status}: ${probeText.slice(0, 300)}`);

    const victimShareNote =
      s.victim === 'us-east'
        ? 'us-east has two endpoints, so its best one is the least loaded more often: it should carry about half the traffic before the kill'
        : `${s.victim} has one of the ${sims.length} endpoints, so it should carry about a quarter of the traffic before the kill`;
    console.log(
      `routing policy weights { load: 1, latency: 1 }, same price everywhere: no region is preferred statically; each request goes to the ` +
        `region whose best endpoint has the shortest queue and the lowest peak-EWMA latency, so traffic spreads over all three regions (${victimShareNote}).`,
    );

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'cache-control': 'no-store' };
    const loadFor = (prefix: string, durationMs: number, startedAtMs?: number) =>
      openLoop({
        origin,
        rate: s.rate,
        durationMs,
        connections: CONNECTIONS,
        timeoutMs: REQUEST_TIMEOUT_MS,
        check: checkCompletion,
        request: (i) => ({ path: PATH, headers: { ...headers, 'x-request-id': `${prefix}-${i}` }, body: requestBody(i, s.maxTokens) }),
        ...(startedAtMs === undefined ? {} : { startedAt: startedAtMs }),
      });

    console.log(`warm-up: ${WARMUP_S} s at ${s.rate} req/s…`);
    const warm = await loadFor(`${runId}-warm`, WARMUP_S * 1000).done;
    const warmFailed = warm.filter((x) => x.error !== undefined || x.status < 200 || x.status > 299);
    if (warmFailed.length > 0) {
      throw new Error(`${warmFailed.length} of ${warm.length} warm-up requests failed before anything was killed (first: ${warmFailed[0]?.status} ${warmFailed[0]?.error ?? ''}); the setup is broken`);
    }

    console.log(
      `measuring: ${s.duration} s at ${s.rate} req/s (open loop); SIGKILL ${s.victim}'s ${victims.length} simulator(s) at ${s.killAt} s, restart them at ${s.restartAt} s…`,
    );
    const t0 = performance.now() + 20;
    const events: Events = { kill: Number.NaN, killed: Number.NaN, restart: Number.NaN, ready: Number.NaN, availability: [] };
    const at = (seconds: number) => new Promise((r) => setTimeout(r, Math.max(0, t0 + seconds * 1000 - performance.now())));
    const load = loadFor(runId, s.duration * 1000, t0);
    const scenario = (async () => {
      await at(s.killAt);
      const inflightAtKill = load.inflight();
      events.kill = performance.now() - t0;
      await Promise.all(victims.map((x) => (x.child ? stop(x.child, 'SIGKILL', 1000) : undefined)));
      events.killed = performance.now() - t0;
      const stillUp = (await Promise.all(victims.map(async (x) => ((await listening(x.port)) ? simLabel(x) : undefined)))).filter(Boolean);
      if (stillUp.length > 0) throw new Error(`still accepting connections after SIGKILL: ${stillUp.join(', ')}`);
      console.log(`  ${fmt(events.kill / 1000, 2)} s: SIGKILLed ${victims.map(simLabel).join(', ')} (${inflightAtKill} requests in flight through the gateway)`);
      await at(s.restartAt);
      events.restart = performance.now() - t0;
      try {
        await Promise.all(victims.map(async (x) => (x.child = await startSim(x, s.profile))));
        events.ready = performance.now() - t0;
        console.log(`  ${fmt(events.restart / 1000, 2)} s: restarted them; ready ${fmt((events.ready - events.restart) / 1000, 2)} s later`);
      } catch (error) {
        events.restartError = error instanceof Error ? error.message : String(error);
        console.error(`  restart failed: ${events.restartError}`);
      }
    })();
    // The gateway's own view of the victim: GET /v1/models every 200 ms lists the regions that
    // can take a request now (prober snapshot, breakers, saturation). Only changes are kept.
    const watcher = (async () => {
      let last: boolean | undefined;
      while (performance.now() - t0 < s.duration * 1000) {
        try {
          const r = await fetch(`${origin}/v1/models`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(2000) });
          const body = (await r.json()) as { data?: { id: string; available_regions?: string[] }[] };
          const available = body.data?.find((m) => m.id === MODEL)?.available_regions?.includes(s.victim) ?? false;
          if (available !== last) events.availability.push({ at: performance.now() - t0, available });
          last = available;
        } catch {
          // a missed sample; the next one follows
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const [samples] = await Promise.all([load.done, scenario, watcher]);
    // Log lines are written after each response (deferred): give the last ones a moment.
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline && samples.some((x) => !logs.has(`${runId}-${x.index}`))) await new Promise((r) => setTimeout(r, 100));

    const rows = samples.map((x): Row => toRow(x, logs.get(`${runId}-${x.index}`)));
    const gatewayCommand = `${Object.keys(gatewayEnv)
      .map((k) => `${k}='<${k === 'SWITCHYARD_KEYS' ? 'one key record' : 'the region key'}>'`)
      .join(' ')} ${gateway.command}`;
    const simCommands = sims.map((x) => (x.child?.command ?? '').replace(x.apiKey, `<${x.region} key>`));
    const analysis = analyse(rows, events, s, sims);
    const report = buildReport({
      s,
      rows,
      events,
      analysis,
      sims,
      startedAt,
      finishedAt: new Date(),
      load: [loadAtStart, loadAverage()],
      code,
      commands: [...simCommands, gatewayCommand],
      otherGatewayLines: other.first,
      otherGatewayLineCount: other.count,
      logged: rows.filter((r) => r.log).length,
    });
    console.log(`\n${report.markdown}\n`);
    writeFileSync(
      LAST_JSON,
      JSON.stringify({ settings: s, startedAt, events, analysis, sims: sims.map(({ region, pod, port }) => ({ region, pod, port })), rows }, null, 1),
    );
    console.log(`(every request of the run: ${rel(LAST_JSON)})`);
    if (s.quick) console.log('(quick run: bench/RESULTS.md not updated)');
    else {
      writeSection('failover', report.markdown, { after: 'overhead-profile' });
      console.log('wrote the failover section of bench/RESULTS.md');
    }
    if (analysis.failed.length > 0) console.error(`FAILED REQUESTS: ${analysis.failed.length} (target 0) — see the table above`);
    if (events.restartError !== undefined) console.error(`restarting ${s.victim}'s simulators failed: ${events.restartError}`);
    else if (analysis.backAt === undefined) {
      const lastView = events.availability[events.availability.length - 1];
      console.error(
        `${s.victim} did not serve traffic again before the end of the run; the gateway ${lastView?.available ? 'listed it as available again, so routing did not choose it' : 'did not list it as available again'}`,
      );
    }
    return analysis.failed.length > 0 || events.restartError !== undefined ? 1 : 0;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

function toRow(x: OpenLoopSample, log: LogLine | undefined): Row {
  const route = x.headers['x-switchyard-route'] ?? '';
  const attempts = Number(/attempts=(\d+)/.exec(route)?.[1] ?? 1);
  const failed = x.error !== undefined || x.status < 200 || x.status > 299;
  return {
    index: x.index,
    sentAt: x.sentAt,
    endedAt: x.endedAt,
    dueAt: x.dueAt,
    latencyMs: x.latencyMs,
    status: x.status,
    failed,
    ...(x.error === undefined ? {} : { error: x.error }),
    region: x.headers['x-switchyard-region'],
    route,
    attempts,
    log,
  };
}

// ---------------------------------------------------------------- analysis

interface PhaseStats {
  label: string;
  from: number;
  to: number;
  requests: number;
  failed: number;
  failedOver: number;
  p50: number;
  p99: number;
  max: number;
  share: Record<string, number>;
}

interface Cluster {
  from: number;
  to: number;
  count: number;
}

interface Analysis {
  failed: Row[];
  phases: PhaseStats[];
  /** Requests sent after the kill (before the restart) that touched the victim, per x-switchyard-route/x-switchyard-region. */
  touchedByHeader: number[];
  /** The same from the gateway's log: an attempt actually sent to a victim endpoint (not skipped by its breaker). */
  sentToVictim: number[];
  /** Attempts skipped because a victim endpoint's breaker was open (half-open with its probe out). */
  skippedByBreaker: number;
  /** Outcomes of the attempts to victim endpoints after the kill. */
  victimOutcomes: Record<string, number>;
  clusters: Cluster[];
  inflightAtKill: { total: number; atVictim: number; failedOver: number; failed: number; maxLatency: number };
  /** Sent time (ms) of the first request after the restart that the victim served. */
  backAt: number | undefined;
  /** Requests after the restart that were sent to the victim and failed over (e.g. a probe before it listened). */
  afterRestartFailedOver: number;
  lag: { p99: number; max: number };
  /** The victim's share of served requests: the 5 s before the kill, the first 5 s after it served again, the last 5 s. */
  victimShare: { beforeKill: number; firstAfterBack: number; last: number };
}

const isServed = (r: Row) => !r.failed;

function phaseStats(label: string, rows: readonly Row[], from: number, to: number): PhaseStats {
  const ok = rows.filter(isServed);
  const latencies = ok.map((r) => r.latencyMs);
  const share: Record<string, number> = {};
  for (const id of REGION_IDS) share[id] = ok.length === 0 ? Number.NaN : (100 * ok.filter((r) => r.region === id).length) / ok.length;
  return {
    label,
    from,
    to,
    requests: rows.length,
    failed: rows.filter((r) => r.failed).length,
    failedOver: rows.filter((r) => r.attempts >= 2).length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length === 0 ? Number.NaN : Math.max(...latencies),
    share,
  };
}

function shareOf(rows: readonly Row[], region: string): number {
  const ok = rows.filter(isServed);
  return ok.length === 0 ? Number.NaN : (100 * ok.filter((r) => r.region === region).length) / ok.length;
}

function clustersOf(times: readonly number[], gapMs = 500): Cluster[] {
  const out: Cluster[] = [];
  for (const t of [...times].sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && t - last.to <= gapMs) {
      last.to = t;
      last.count++;
    } else out.push({ from: t, to: t, count: 1 });
  }
  return out;
}

function analyse(rows: readonly Row[], e: Events, s: Settings, sims: readonly Sim[]): Analysis {
  const end = s.duration * 1000;
  const victimEndpoints = new Set(sims.filter((x) => x.region === s.victim).map((x) => `${x.region}/${MODEL}/${x.pod}`));
  const isVictimEndpoint = (id: string) => victimEndpoints.has(id) || regionOf(id) === s.victim;
  const sent = (from: number, to: number) => rows.filter((r) => r.sentAt >= from && r.sentAt < to);
  const before = sent(0, e.kill);
  const during = sent(e.kill, e.restart);
  const after = sent(e.restart, Infinity);

  const touchedByHeader = during.filter((r) => r.region === s.victim || r.attempts >= 2).map((r) => r.sentAt - e.kill);
  const sentToVictimRows = during.filter((r) => r.log?.attempts.some((a) => isVictimEndpoint(a.endpoint) && a.outcome !== 'circuit-open'));
  const victimOutcomes: Record<string, number> = {};
  let skippedByBreaker = 0;
  for (const r of during) {
    for (const a of r.log?.attempts ?? []) {
      if (!isVictimEndpoint(a.endpoint)) continue;
      if (a.outcome === 'circuit-open') skippedByBreaker++;
      const k = String(a.outcome);
      victimOutcomes[k] = (victimOutcomes[k] ?? 0) + 1;
    }
  }
  const inflight = before.filter((r) => r.endedAt > e.kill);
  const inflightAtVictim = inflight.filter((r) => r.log?.attempts[0] !== undefined && isVictimEndpoint(r.log.attempts[0].endpoint));
  const back = after.find((r) => isServed(r) && r.region === s.victim);
  const backRows = back === undefined ? after : after.filter((r) => r.sentAt >= back.sentAt);
  const lags = rows.map((r) => r.sentAt - r.dueAt);

  const phases = [
    phaseStats('before the kill', before, 0, e.kill),
    phaseStats('↳ in flight at the kill', inflight, Number.NaN, Number.NaN),
    phaseStats(`during (${s.victim} down)`, during, e.kill, e.restart),
    phaseStats('after the restart', after, e.restart, end),
    ...(back === undefined ? [] : [phaseStats(`↳ once ${s.victim} serves again`, backRows, back.sentAt, end)]),
    phaseStats('whole run', [...rows], 0, end),
  ];
  return {
    failed: rows.filter((r) => r.failed),
    phases,
    touchedByHeader,
    sentToVictim: sentToVictimRows.map((r) => r.sentAt - e.kill),
    skippedByBreaker,
    victimOutcomes,
    clusters: clustersOf(sentToVictimRows.map((r) => r.sentAt - e.kill)),
    inflightAtKill: {
      total: inflight.length,
      atVictim: inflightAtVictim.length,
      failedOver: inflightAtVictim.filter((r) => r.attempts >= 2).length,
      failed: inflight.filter((r) => r.failed).length,
      maxLatency: inflight.length === 0 ? Number.NaN : Math.max(...inflight.map((r) => r.latencyMs)),
    },
    backAt: back?.sentAt,
    afterRestartFailedOver: after.filter((r) => r.log?.attempts.some((a) => isVictimEndpoint(a.endpoint) && a.outcome !== 'circuit-open' && typeof a.outcome !== 'number')).length,
    lag: { p99: percentile(lags, 99), max: lags.length === 0 ? Number.NaN : Math.max(...lags) },
    victimShare: {
      beforeKill: shareOf(sent(e.kill - 5000, e.kill), s.victim),
      firstAfterBack: back === undefined ? Number.NaN : shareOf(sent(back.sentAt, back.sentAt + 5000), s.victim),
      last: shareOf(sent(end - 5000, end), s.victim),
    },
  };
}

// ---------------------------------------------------------------- the report

interface ReportInput {
  s: Settings;
  rows: readonly Row[];
  events: Events;
  analysis: Analysis;
  sims: readonly Sim[];
  startedAt: Date;
  finishedAt: Date;
  load: [number, number];
  code: string;
  commands: string[];
  otherGatewayLines: string[];
  otherGatewayLineCount: number;
  logged: number;
}

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${Math.round(x)} ms`);
const sec = (x: number) => fmt(x / 1000, 2);

function timeline(rows: readonly Row[], e: Events, s: Settings, backAt: number | undefined): string {
  const seconds = Math.ceil(s.duration);
  const lines: string[] = [];
  for (let t = 0; t < seconds; t++) {
    const bucket = rows.filter((r) => r.sentAt >= t * 1000 && r.sentAt < (t + 1) * 1000);
    if (bucket.length === 0) continue;
    const ok = bucket.filter(isServed);
    const lat = ok.map((r) => r.latencyMs);
    const marks: string[] = [];
    const mark = (at: number | undefined, what: string) => {
      if (at !== undefined && at >= t * 1000 && at < (t + 1) * 1000) marks.push(`${what} (${sec(at)} s)`);
    };
    mark(e.kill, 'kill');
    mark(e.restart, 'restart');
    mark(e.ready, 'simulators ready');
    mark(backAt, `${s.victim} serves again`);
    const share = REGION_IDS.map((id) => (ok.length === 0 ? '–' : `${fmt((100 * ok.filter((r) => r.region === id).length) / ok.length, 0)}%`));
    lines.push(
      `| ${t}–${t + 1} | ${bucket.length} | ${bucket.filter((r) => r.failed).length} | ${bucket.filter((r) => r.attempts >= 2).length} | ${share.join(' | ')} | ` +
        `${fmt(percentile(lat, 50), 0)} | ${fmt(percentile(lat, 99), 0)} | ${marks.join(', ')} |`,
    );
  }
  return [`| s | sent | failed | failed over | ${REGION_IDS.join(' | ')} | p50 ms | p99 ms | event |`, `|---|---:|---:|---:|${REGION_IDS.map(() => '---:|').join('')}---:|---:|---|`, ...lines].join('\n');
}

function availabilityText(e: Events, victim: string): string {
  if (e.availability.length === 0) return 'no samples';
  const parts = e.availability.map((x, i) => {
    const rel = i === 0 && x.at < e.kill ? 'the start' : x.at < e.kill ? `${sec(x.at)} s` : x.at < e.restart ? `kill + ${Math.round(x.at - e.kill)} ms` : `restart + ${Math.round(x.at - e.restart)} ms`;
    return `${x.available ? 'available' : '**not available**'} from ${rel}`;
  });
  return `${parts.join(' → ')} (${victim})`;
}

function buildReport(input: ReportInput): { markdown: string } {
  const { s, rows, events: e, analysis: a, sims } = input;
  const victims = sims.filter((x) => x.region === s.victim);
  const lastTouchHeader = a.touchedByHeader.length === 0 ? undefined : Math.max(...a.touchedByHeader);
  const lastSent = a.sentToVictim.length === 0 ? undefined : Math.max(...a.sentToVictim);
  const before = a.phases[0];
  const failedRows = a.failed;
  const failedSummary = (() => {
    if (failedRows.length === 0) return '';
    const byReason = new Map<string, Row[]>();
    for (const r of failedRows) {
      const reason = r.error ?? `HTTP ${r.status}`;
      // Ports, ids and timings differ per request; the reason is the same.
      const key = reason.replace(/\d{4,}/g, 'N').slice(0, 200);
      byReason.set(key, [...(byReason.get(key) ?? []), r]);
    }
    return [
      '',
      `**Failed requests: ${failedRows.length}** (sent at; what the client saw; the gateway's attempts from its log):`,
      '',
      '| sent (s) | after kill (ms) | status | the client saw | gateway attempts |',
      '|---:|---:|---:|---|---|',
      ...failedRows.slice(0, 30).map((r) => {
        const attempts = r.log?.attempts.map((x) => `${x.endpoint} → ${x.outcome} (${Math.round(x.ms)} ms)`).join('; ') ?? '(no log line)';
        return `| ${sec(r.sentAt)} | ${Math.round(r.sentAt - e.kill)} | ${r.status || '—'} | ${(r.error ?? '').replace(/\|/g, '\\|').slice(0, 200)} | ${attempts.replace(/\|/g, '\\|')} |`;
      }),
      ...(failedRows.length > 30 ? [`| … | | | ${failedRows.length - 30} more | |`] : []),
      '',
      `By reason: ${[...byReason.entries()].map(([k, v]) => `${v.length} × “${k}”`).join('; ')}.`,
    ].join('\n');
  })();

  const outcomes = Object.entries(a.victimOutcomes)
    .map(([k, v]) => `${v} × \`${k}\``)
    .join(', ');
  const clusters = a.clusters.map((c) => (c.count === 1 ? `${Math.round(c.from)} ms` : `${Math.round(c.from)}–${Math.round(c.to)} ms (${c.count})`)).join('; ');
  const seconds = Math.round((input.finishedAt.getTime() - input.startedAt.getTime()) / 1000);
  const b = BREAKER_DEFAULTS;

  const summary = [
    '| Measure | Result |',
    '|---|---|',
    `| requests sent (open loop, ${s.rate} req/s for ${s.duration} s) | ${rows.length} |`,
    `| **failed requests** (non-2xx, network error, or a 2xx without a complete body) — target 0 | **${failedRows.length}** ${failedRows.length === 0 ? '(PASS)' : '(**FAIL**)'} |`,
    `| requests that failed over (\`attempts=N\`, N ≥ 2, in x-switchyard-route) | ${rows.filter((r) => r.attempts >= 2).length} |`,
    `| requests in flight at the kill / of them at ${s.victim} / failed over / failed | ${a.inflightAtKill.total} / ${a.inflightAtKill.atVictim} / ${a.inflightAtKill.failedOver} / ${a.inflightAtKill.failed} (slowest ${ms(a.inflightAtKill.maxLatency)}) |`,
    `| **${s.victim} stops receiving traffic**: last request sent after the kill that still touched it (attempts ≥ 2 or served by it) | **${ms(lastTouchHeader)}** after the kill (${plural(a.touchedByHeader.length, 'such request')}) |`,
    `| the same from the gateway's log: last request with an attempt actually sent to a ${s.victim} endpoint | ${ms(lastSent)} after the kill (${plural(a.sentToVictim.length, 'request')}, sent ${clusters || '–'} after the kill) |`,
    `| the gateway's own view (GET /v1/models every 200 ms): ${s.victim} in \`available_regions\` | ${availabilityText(e, s.victim)} |`,
    `| **${s.victim} serves traffic again**: first request it served after the restart | ${a.backAt === undefined ? '**never** (before the end of the run)' : `**${ms(a.backAt - e.restart)}** after the restart (spawn), ${ms(a.backAt - e.ready)} after its simulators were ready`} |`,
    `| ${s.victim}'s share of the traffic: the 5 s before the kill / the first 5 s after it serves again / the last 5 s of the run | ${fmt(a.victimShare.beforeKill, 1)}% / ${fmt(a.victimShare.firstAfterBack, 1)}% / ${fmt(a.victimShare.last, 1)}% |`,
  ].join('\n');

  const phaseRows = a.phases.map((p) => {
    const window = Number.isFinite(p.from) ? `${sec(p.from)}–${sec(p.to)}` : `sent before ${sec(e.kill)}, ended after`;
    return `| ${p.label} | ${window} | ${p.requests} | ${p.failed} | ${p.failedOver} | ${fmt(p.p50, 1)} | ${fmt(p.p99, 1)} | ${fmt(p.max, 1)} | ${REGION_IDS.map((id) => `${fmt(p.share[id] ?? Number.NaN, 1)}%`).join(' | ')} |`;
  });

  const markdown = `## Failover: a region's simulators killed under steady load

Measured ${input.startedAt.toISOString()} (run took ${seconds} s) on ${machine()}; 1-minute load average ${fmt(input.load[0], 2)} at the start, ${fmt(input.load[1], 2)} at the end. Gateway code: ${input.code}.

${s.rate} req/s open loop for ${s.duration} s through \`switchyard serve\` over three regions (us-east: 2 simulators, eu-west: 1, apac: 1; \`--profile ${s.profile}\`, \`max_tokens\` ${s.maxTokens}). At ${sec(e.kill)} s the ${victims.length} simulator process(es) of **${s.victim}** got SIGKILL; at ${sec(e.restart)} s they were started again on the same ports (ready ${sec(e.ready - e.restart)} s later)${e.restartError ? ` — **the restart failed**: ${e.restartError}` : ''}. Phases go by the time a request was sent.

${summary}

| Phase | sent in (s) | requests | failed | failed over | p50 ms | p99 ms | max ms | ${REGION_IDS.map((id) => `${id} share`).join(' | ')} |
|---|---|---:|---:|---:|---:|---:|---:|${REGION_IDS.map(() => '---:|').join('')}
${phaseRows.join('\n')}
${failedSummary}

Attempts to ${s.victim} endpoints by requests sent while it was down (gateway log; \`network\` = the connection was refused or reset, \`circuit-open\` = skipped by its breaker, not sent): ${outcomes || 'none'}.${a.afterRestartFailedOver > 0 ? ` After the restart, ${a.afterRestartFailedOver} request(s) were still sent to a ${s.victim} endpoint that did not answer and failed over.` : ''}

<details><summary>Per second (by time sent)</summary>

${timeline(rows, e, s, a.backAt)}

</details>

Notes
- Setup: every simulator is its own process (\`switchyard sim --profile ${s.profile} --api-key <its region's key>\`); the gateway gets the keys from \`${REGIONS.map((r) => r.secretName).join('`, `')}\` (the Regions' \`credentials.secretName\`), as in the dev stack; before the run each simulator is checked to answer 401 without its key and 200 with it. The client key is a real key record seeded through \`SWITCHYARD_KEYS\`. Requests: \`POST ${PATH}\` with \`"model": "${MODEL}"\`, a prompt that differs per request, \`max_tokens: ${s.maxTokens}\`, \`Cache-Control: no-store\`.
- Routing policy \`weights: { load: 1, latency: 1 }\`, the same price in every region, round robin inside a region's pool: no region is preferred statically, so each request goes to the region whose best endpoint has the shortest queue (the prober's vLLM metrics plus the gateway's own in-flight count) and the lowest peak-EWMA latency. Traffic spreads over all three regions, and ${s.victim} carried ${fmt(before?.share[s.victim] ?? Number.NaN, 1)}% of it before the kill${s.victim === 'us-east' ? ' (with two endpoints its best one is the least loaded more often)' : ''}.
- Gateway: \`switchyard serve --probe-interval ${s.probeIntervalMs}\` (the health prober reads every endpoint's /health and /metrics each ${s.probeIntervalMs} ms), with the request log **on**: one JSON line per request, joined to the client's view by \`x-request-id\`, shows which endpoints each request's attempts went to (${input.logged} of ${rows.length} requests matched). Timeouts in the fleet: connect 1 s, first byte 10 s, total 20 s. The gateway's passive circuit breaker (defaults): opens after ${b.consecutiveFailures} failures in a row or ≥ ${b.errorRatio * 100}% of ≥ ${b.minRequests} requests in ${b.windowMs / 1000} s; half-open after ${b.cooldownMs / 1000} s (doubling on each failed probe, up to ${b.maxCooldownMs / 1000} s). Routing reads the prober's snapshot from the store at most every ${READER_DEFAULTS.memoMs / 1000} s (stale-while-revalidate).
- "Touched" (the headline): a request sent after the kill whose \`x-switchyard-route\` ends in \`attempts=N\` (N ≥ 2) or whose \`x-switchyard-region\` is ${s.victim}. The log line refines it: \`attempts\` also counts endpoints skipped by an open breaker without sending anything.
- SIGKILL of a local process: connections to it are reset and new ones refused at once, so failing over costs no timeout here. A region that disappears from the network (packets dropped) would cost up to the connect timeout per attempt instead. Not exercised either: an upstream dying after it sent the response headers — the simulator writes a non-streaming answer (headers and body) in one write, so a kill lands before the headers or after the whole answer.
- Load generator: undici Pool, ${CONNECTIONS} keep-alive connections, in the benchmark's own process; latency from sending to the whole body. Send lag behind the schedule: p99 ${fmt(a.lag.p99, 1)} ms, max ${fmt(a.lag.max, 1)} ms. Everything runs on this machine's ${machine().split(' ')[0]} cores.
- Every request of the run (status, latency, headers, attempts): \`${rel(LAST_JSON)}\` (local, git-ignored).
${input.otherGatewayLineCount > 0 ? `- The gateway wrote ${input.otherGatewayLineCount} other line(s) (first ${input.otherGatewayLines.length}): ${input.otherGatewayLines.map((l) => `\`${l.replace(/`/g, "'")}\``).join('; ')}\n` : ''}
Commands (ports picked free at run time; paths relative to the repository):

\`\`\`
npm run bench -- failover${s.quick ? ' --quick' : ''}   # --rate ${s.rate} --duration ${s.duration} --kill-at ${s.killAt} --restart-at ${s.restartAt} --victim ${s.victim} --probe-interval ${s.probeIntervalMs} --profile ${s.profile} --max-tokens ${s.maxTokens}
${input.commands.join('\n')}
\`\`\``;
  return { markdown };
}

export const benchmark: Benchmark = {
  summary:
    'Steady open-loop load through the Node gateway over three simulated regions; one region\'s simulators are SIGKILLed mid-run and restarted: ' +
    'failed requests, time until the dead region gets no traffic, time until it serves again, p50/p99 before/during/after.',
  usage: USAGE,
  run: async (argv) => run(settingsFrom(argv)),
};
