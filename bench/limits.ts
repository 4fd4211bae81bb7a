// `npm run bench -- limits`: what per-key limits cost on the hot path, side by side in one run.
//   limiter   the limiter module in this process (what the request path will call): admit with a
//             token estimate, settle with the usage, release; one rpm + one tpm limit per key.
//             Counters in memory (switchyard serve without a store), and in Redis through the
//             Upstash REST bridge with @upstash/ratelimit, `deferred` and `strict`; next to a key
//             without limits. CPU per request (this process: the limiter and its HTTP client),
//             admit latency, and the store round trips a request waits for / defers.
//   gateway   `switchyard serve` with limits on the request path: a key with an rpm and a tpm
//             limit against the same key without limits; in memory, and over Redis (deferred / strict).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Redis } from '@upstash/redis/cloudflare';
import { Client } from 'undici';
import { ApiKeys } from '../src/auth/api-keys.ts';
import type { KeyRecord } from '../src/auth/key-record.ts';
import type { LimitCounters } from '../src/limits/counters.ts';
import { estimateTokens } from '../src/limits/estimate.ts';
import { GatewayLimiter } from '../src/limits/gateway-limiter.ts';
import { MemoryCounters } from '../src/limits/memory-counters.ts';
import { UpstashCounters } from '../src/limits/upstash-counters.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { UpstashStore } from '../src/store/upstash-store.ts';
import { COMMON_USAGE, numberFlag, parseFlags, type Benchmark } from './lib/benchmark.ts';
import { childEnv, NODE, ROOT, start, stopAll, type Child } from './lib/children.ts';
import { startBridge } from './lib/redis-bridge.ts';
import { groupCpuMs } from './lib/cpu-usage.ts';
import { assertClean, load, type HttpTarget } from './lib/measure.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, machine } from './lib/run-info.ts';
import { fmt, median, percentile, signed } from './lib/stats.ts';
import { fleetYaml } from './overhead.ts';

const MODEL = 'llama-3.1-8b';
const OUT = resolve(ROOT, 'bench', 'out');
const FLEET_FILE = resolve(OUT, 'limits-fleet.yaml');
const CONNECTIONS = 32;
/** Limits no benchmark request reaches: what is measured is the check, never a refusal. */
const HIGH = { rpm: 1_000_000_000, tpm: 1_000_000_000_000 };
/** Requests an instance serves per deferred sync interval in the limiter rows (10 per 100 ms: 100 req/s). */
const PER_SYNC = 10;
const BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 16 });
const rel = (path: string) => relative(ROOT, path);

interface Settings {
  iterations: number;
  duration: number;
  rounds: number;
  quick: boolean;
}

const USAGE = `${COMMON_USAGE}
  --iterations <n> admit/settle/release cycles per limiter configuration (Redis ones get a fifth)

Defaults: --iterations 20000 --duration 5 --rounds 2 (about 3 minutes); --quick: 2000, 2 s, 1 round.`;

// ---------------------------------------------------------------- the limiter module

interface LimiterRow {
  label: string;
  cpuUsPerRequest: number;
  admitP50: number;
  admitP99: number;
  /** Store HTTP requests the admit waited for, per request. */
  blocking: number;
  /** Store HTTP requests after the admit (deferred syncs, settle, release), per request. */
  deferred: number;
}

/**
 * Counts the Upstash client's HTTP requests. One that started while `admit` was awaited and had
 * its answer by the time `admit` resolved was waited for (blocking); the rest were deferred
 * (a `waitUntil` sync needs a round trip of its own, so it cannot have finished by then).
 */
function countFetches() {
  const original = globalThis.fetch;
  const counts = { blocking: 0, deferred: 0 };
  let during: { settled: boolean }[] | undefined;
  globalThis.fetch = ((...args: Parameters<typeof fetch>) => {
    const call = { settled: false };
    if (during) during.push(call);
    else counts.deferred += 1;
    return original(...args).finally(() => (call.settled = true));
  }) as typeof fetch;
  return {
    counts,
    admitting: () => (during = []),
    admitted: () => {
      for (const call of during ?? []) {
        if (call.settled) counts.blocking += 1;
        else counts.deferred += 1;
      }
      during = undefined;
    },
    restore: () => (globalThis.fetch = original),
  };
}

async function measureLimiter(label: string, counters: LimitCounters, key: KeyRecord, iterations: number): Promise<LimiterRow> {
  const limiter = new GatewayLimiter({ counters, tenants: { lookup: async () => null }, leaseMs: 600_000 });
  const tokens = estimateTokens({ bodyBytes: BODY.length, maxTokens: 16 });
  const deferred: Promise<unknown>[] = [];
  const cycle = async (timings?: number[], fetches?: ReturnType<typeof countFetches>) => {
    fetches?.admitting();
    const started = performance.now();
    const admission = await limiter.admit({ key, tokens, waitUntil: (work) => void deferred.push(work) });
    timings?.push(performance.now() - started);
    fetches?.admitted();
    deferred.push(admission.settle({ tokens: 24, costUsd: 0 }), admission.release());
  };
  // An instance serving PER_SYNC requests per deferred sync interval: each group's deferred work
  // finishes before the next group starts (what each request costs, not overlap).
  const run = async (n: number, timings?: number[], fetches?: ReturnType<typeof countFetches>) => {
    for (let i = 0; i < n; i++) {
      await cycle(timings, fetches);
      if ((i + 1) % PER_SYNC === 0 || i === n - 1) while (deferred.length > 0) await Promise.all(deferred.splice(0));
    }
  };
  await run(Math.min(500, iterations)); // warm-up: JIT, connections, scripts loaded
  const fetches = countFetches();
  const timings: number[] = [];
  const cpu = process.cpuUsage();
  try {
    await run(iterations, timings, fetches);
  } finally {
    fetches.restore();
  }
  const used = process.cpuUsage(cpu);
  return {
    label,
    cpuUsPerRequest: (used.user + used.system) / iterations,
    admitP50: percentile(timings, 50),
    admitP99: percentile(timings, 99),
    blocking: fetches.counts.blocking / iterations,
    deferred: fetches.counts.deferred / iterations,
  };
}

function keyRecord(limits?: KeyRecord['limits']): KeyRecord {
  const hex = Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
  return { id: `key_${hex}`, hash: hex.padStart(64, 'c'), tenant: 'bench', label: '', createdAt: new Date().toISOString(), rotatedAt: new Date().toISOString(), ...(limits ? { limits } : {}) };
}

// ---------------------------------------------------------------- the gateway

interface GatewayConfig {
  id: string;
  label: string;
  child: Child;
  target: HttpTarget;
}

interface GatewayRound {
  rps: number;
  cpuUsPerRequest: number;
  p50At1: number;
}

async function startGateway(label: string, env: Record<string, string>): Promise<{ child: Child; url: string }> {
  const child = start(label, NODE, ['cli/main.ts', 'serve', '--fleet', rel(FLEET_FILE), '--port', '0', '--no-log', '--probe-interval', '0', '--keys-file', rel(resolve(OUT, 'limits-no-keys.json'))], childEnv(env));
  const m = await child.waitForLine(/gateway on (http:\/\/[\d.]+:\d+)/, 30_000);
  return { child, url: m[1] ?? '' };
}

/** p50 of `samples` sequential requests on one keep-alive connection, ms. */
async function sequentialP50(target: HttpTarget, samples: number): Promise<number> {
  const client = new Client(target.origin, { pipelining: 1 });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const started = performance.now();
      const response = await client.request({ method: 'POST', path: target.path, headers: target.headers, body: target.body });
      await response.body.text();
      if (response.statusCode !== 200) throw new Error(`${target.origin} answered ${response.statusCode}`);
      times.push(performance.now() - started);
    }
  } finally {
    await client.close();
  }
  return percentile(times, 50);
}

async function probe(config: GatewayConfig, limited: boolean): Promise<void> {
  const response = await fetch(config.target.origin + config.target.path, { method: 'POST', headers: config.target.headers, body: config.target.body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${config.label}: the probe answered ${response.status}: ${text.slice(0, 300)}`);
  const header = response.headers.get('x-ratelimit-limit-requests');
  if (limited !== (header !== null)) throw new Error(`${config.label}: x-ratelimit-limit-requests is ${String(header)}, expected it ${limited ? 'set' : 'absent'}`);
}

// ---------------------------------------------------------------- the run

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  mkdirSync(OUT, { recursive: true });
  const commands: string[] = [];
  try {
    const bridge = await startBridge();
    commands.push(bridge.command);

    // 1. The limiter module, in this process.
    const redis = () => new Redis({ url: bridge.url, token: bridge.token, enableTelemetry: false });
    const redisIterations = Math.max(200, Math.round(s.iterations / 5));
    console.log('measuring the limiter module…');
    const limiterRows = [
      await measureLimiter('key without limits (nothing to check)', new MemoryCounters(), keyRecord(), s.iterations),
      await measureLimiter('rpm + tpm, counters in memory', new MemoryCounters(), keyRecord(HIGH), s.iterations),
      await measureLimiter('rpm + tpm, Redis `deferred` (cachedFixedWindow, coalesced syncs)', new UpstashCounters({ redis: redis(), sync: 'deferred' }), keyRecord(HIGH), redisIterations),
      await measureLimiter('rpm + tpm, Redis `strict` (fixedWindow)', new UpstashCounters({ redis: redis(), sync: 'strict' }), keyRecord(HIGH), redisIterations),
    ];
    for (const r of limiterRows) console.log(`  ${r.label}: ${fmt(r.cpuUsPerRequest, 1)} µs CPU, admit p50 ${fmt(r.admitP50 * 1000, 1)} µs, ${fmt(r.blocking, 3)} blocking / ${fmt(r.deferred, 2)} deferred round trips`);

    // 2. The gateway: `switchyard serve`, the middleware admitting every request (rpm), tokens admitted after the cache (tpm).
    console.log('starting the simulator and three gateways…');
    const sim = start('simulator', NODE, ['cli/main.ts', 'sim', '--port', '0', '--profile', 'zero', '--model', MODEL, '--path-style', 'v1']);
    const simUrl = (await sim.waitForLine(/ready on (http:\/\/[\d.]+:\d+)/, 30_000))[1] ?? '';
    commands.push(sim.command);
    writeFileSync(FLEET_FILE, fleetYaml(simUrl));

    const memoryKeys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
    const memoryPlain = await memoryKeys.create({ tenant: 'bench', label: 'no limits' });
    const memoryLimited = await memoryKeys.create({ tenant: 'bench', label: 'rpm + tpm', limits: HIGH });
    const redisKeys = new ApiKeys(UpstashStore.connect(bridge), { memoTtlMs: 0 });
    const redisPlain = await redisKeys.create({ tenant: 'bench', label: 'no limits' });
    const redisLimited = await redisKeys.create({ tenant: 'bench', label: 'rpm + tpm', limits: HIGH });
    const upstash = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token };
    const [memoryGateway, deferredGateway, strictGateway] = await Promise.all([
      startGateway('gateway (memory)', { SWITCHYARD_KEYS: JSON.stringify([memoryPlain.record, memoryLimited.record]) }),
      startGateway('gateway (Redis, deferred)', upstash),
      startGateway('gateway (Redis, strict)', { ...upstash, SWITCHYARD_RATE_LIMIT_SYNC: 'strict' }),
    ]);
    commands.push(
      `SWITCHYARD_KEYS='[<two key records>]' ${memoryGateway.child.command}`,
      `UPSTASH_REDIS_REST_URL=<bridge> UPSTASH_REDIS_REST_TOKEN=<token> ${deferredGateway.child.command}   # and again with SWITCHYARD_RATE_LIMIT_SYNC=strict`,
    );
    const target = (url: string, key: string): HttpTarget => ({
      origin: url,
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: BODY,
      streamBody: BODY,
    });
    const configs: (GatewayConfig & { limited: boolean })[] = [
      { id: 'mem-off', label: 'memory store, key without limits', child: memoryGateway.child, target: target(memoryGateway.url, memoryPlain.key), limited: false },
      { id: 'mem-rpm', label: 'memory store, key with rpm + tpm limits', child: memoryGateway.child, target: target(memoryGateway.url, memoryLimited.key), limited: true },
      { id: 'redis-off', label: 'Redis, key without limits', child: deferredGateway.child, target: target(deferredGateway.url, redisPlain.key), limited: false },
      { id: 'redis-deferred', label: 'Redis, rpm + tpm, `deferred`', child: deferredGateway.child, target: target(deferredGateway.url, redisLimited.key), limited: true },
      { id: 'redis-strict', label: 'Redis, rpm + tpm, `strict`', child: strictGateway.child, target: target(strictGateway.url, redisLimited.key), limited: true },
    ];
    for (const c of configs) await probe(c, c.limited);
    for (const c of configs) assertClean(`${c.label} (warm-up)`, await load(c.target, CONNECTIONS, s.quick ? 1 : 2));

    const rounds = new Map<string, GatewayRound[]>(configs.map((c) => [c.id, []]));
    for (let round = 0; round < s.rounds; round++) {
      const order = configs.map((_, i) => configs[(i + round) % configs.length]).filter((c) => c !== undefined);
      for (const c of order) {
        const pgid = c.child.proc.pid ?? 0;
        const cpuBefore = groupCpuMs(pgid) ?? Number.NaN;
        const high = await load(c.target, CONNECTIONS, s.duration);
        const cpuAfter = groupCpuMs(pgid) ?? Number.NaN;
        assertClean(c.label, high);
        const p50At1 = await sequentialP50(c.target, s.quick ? 200 : 1000);
        rounds.get(c.id)?.push({ rps: high.rps, cpuUsPerRequest: ((cpuAfter - cpuBefore) * 1000) / high.requests, p50At1 });
        console.log(`  round ${round + 1} ${c.label}: ${fmt(high.rps, 0)} req/s, ${fmt(((cpuAfter - cpuBefore) * 1000) / high.requests, 0)} µs CPU/req, p50 @1 ${fmt(p50At1, 3)} ms`);
      }
    }
    const gatewayRows = configs.map((c) => {
      const r = rounds.get(c.id) ?? [];
      return { ...c, rps: median(r.map((x) => x.rps)), cpu: median(r.map((x) => x.cpuUsPerRequest)), p50: median(r.map((x) => x.p50At1)) };
    });
    const base = (id: string) => gatewayRows.find((r) => r.id === id);

    const markdown = report(s, startedAt, loadAtStart, limiterRows, gatewayRows, base, commands);
    console.log(`\n${markdown}\n`);
    if (!s.quick) {
      writeSection('limits', markdown, { after: 'overhead-profile' });
      console.log('wrote the limits section of bench/RESULTS.md');
    }
    return 0;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

function report(
  s: Settings,
  startedAt: Date,
  loadAtStart: number,
  limiterRows: readonly LimiterRow[],
  gatewayRows: readonly { id: string; label: string; rps: number; cpu: number; p50: number }[],
  base: (id: string) => { rps: number; cpu: number; p50: number } | undefined,
  commands: readonly string[],
): string {
  const none = limiterRows[0];
  const limiterTable = limiterRows
    .map((r) => `| ${r.label} | ${fmt(r.cpuUsPerRequest, 1)} | ${none ? signed(r.cpuUsPerRequest - none.cpuUsPerRequest, 1) : '–'} | ${fmt(r.admitP50 * 1000, 1)} | ${fmt(r.admitP99 * 1000, 1)} | ${fmt(r.blocking, 3)} | ${fmt(r.deferred, 2)} |`)
    .join('\n');
  const gatewayTable = gatewayRows
    .map((r) => {
      const reference = base(r.id.startsWith('mem') ? 'mem-off' : 'redis-off');
      const same = reference === undefined || reference === r;
      return `| ${r.label} | ${fmt(r.rps, 0)} | ${fmt(r.cpu, 0)} | ${same ? '—' : signed(r.cpu - (reference?.cpu ?? 0), 0)} | ${fmt(r.p50, 3)} | ${same ? '—' : signed(r.p50 - (reference?.p50 ?? 0), 3)} |`;
    })
    .join('\n');
  return `## Limits: what per-key limits cost on the hot path

Measured ${startedAt.toISOString()} (run took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s) on ${machine()}; 1-minute load average ${fmt(loadAtStart, 2)} at the start, ${fmt(os.loadavg()[0] ?? Number.NaN, 2)} at the end. Code: ${codeVersion()}. The machine is shared with other work: compare rows within this run.

**The limiter module** (what the request path calls: \`admit\` with a token estimate → \`settle\` with the usage → \`release\`), one rpm and one tpm limit on the key, set so high that nothing is refused. ${s.iterations} cycles in memory, ${Math.max(200, Math.round(s.iterations / 5))} against Redis, one after another in groups of ${PER_SYNC} (an instance serving 100 requests a second: each group's deferred work finishes before the next group starts). CPU is this process's (the limiter and, for Redis, the @upstash/redis HTTP client: what a Worker would be billed; the bridge and redis-server run elsewhere). Round trips are HTTP requests to the store: *blocking* = sent while \`admit\` was awaited, *deferred* = sent after (the \`waitUntil\` syncs, \`settle\`, \`release\`).

| Limiter | CPU µs/request | vs no limits | admit p50 (µs) | admit p99 (µs) | blocking round trips/request | deferred round trips/request |
|---|---:|---:|---:|---:|---:|---:|
${limiterTable}

**The gateway** (\`switchyard serve\`; the key has one rpm and one tpm limit: the middleware admits every request by rpm, the tokens are admitted after the cache by an estimate and settled with the metered usage after the response): ${CONNECTIONS} connections for ${s.duration} s (throughput and CPU per request of the gateway process), then 1 connection (p50); ${s.rounds} interleaved round(s), medians. Upstream \`switchyard sim --profile zero\`.

| Gateway | req/s @${CONNECTIONS} | CPU µs/req | CPU added | p50 @1 (ms) | p50 added (ms) |
|---|---:|---:|---:|---:|---:|
${gatewayTable}

What a check costs
- In memory (\`switchyard serve\` without a store): a few map operations; no I/O.
- Redis \`deferred\` (the default; @upstash/ratelimit's \`cachedFixedWindow\` with its ephemeral cache): a subject's first check in each one-minute window waits for one round trip (all its checks go in one pipelined HTTP request); later checks answer from isolate memory; their increments, and settle's corrections, gather per window and go out together after the responses (\`waitUntil\`), one pipelined request per 100 ms for the whole isolate, so the blocking column is about (subjects × limits) / (requests per minute per isolate) and the deferred one falls as traffic rises. Each sync's answer, the global count, is folded back into the isolate's view, so instances see each other within one sync; the overshoot across instances is bounded by the requests admitted during one sync interval. Refusals in the window answer from memory.
- Redis \`strict\` (\`fixedWindow\`): every check waits for one round trip (key and tenant checks share it: the client pipelines them), exact across instances. Choose it with \`SWITCHYARD_RATE_LIMIT_SYNC=strict\`.
- Concurrency limits always cost one blocking round trip (a sorted set of leases), and one deferred one to release. Budgets are read at most once a second per counter and isolate, and charged after the response.
- On Workers the round trip is to Upstash over HTTPS (typically 1–5 ms in-region); here it is the local bridge. Limits fail open: a store that errs or takes over 1 s lets the request through and is reported.

Commands (paths relative to the repository):

\`\`\`
npm run bench -- limits${s.quick ? ' --quick' : ''}   # --iterations ${s.iterations} --duration ${s.duration} --rounds ${s.rounds}
${commands.join('\n')}
\`\`\``;
}

export const benchmark: Benchmark = {
  summary: 'per-key limits on the hot path: the limiter module (memory, Redis deferred/strict) and switchyard serve with rpm + tpm limits, CPU per request and added latency',
  usage: USAGE,
  run: async (argv) => {
    const f = parseFlags(argv, { iterations: { type: 'string' } });
    const quick = f.quick === true;
    return run({
      iterations: numberFlag(f.iterations, quick ? 2000 : 20000, 'iterations', true),
      duration: numberFlag(f.duration, quick ? 2 : 5, 'duration'),
      rounds: numberFlag(f.rounds, quick ? 1 : 2, 'rounds', true),
      quick,
    });
  },
};
