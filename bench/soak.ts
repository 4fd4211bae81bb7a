// `npm run bench -- soak`: ten minutes (by default) of steady open-loop load at a moderate rate
// through the Node gateway over the simulated federation, keys and response cache on Redis
// (bench/lib/federation-stack.ts), half of it streaming and a share of it repeated prompts (cache
// hits). Every few seconds the gateway's RSS (/proc) and V8 heap (its inspector) are sampled;
// the report sets the first minute against the last: RSS, heap, p50/p99, and every error.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { answerProblem, countOutcomes, OUTCOME_NAMES, outcomeOf, type AnswerOutcome } from './lib/answer-outcome.ts';
import { numberFlag, parseFlags, shareFlag, UsageError, type Benchmark } from './lib/benchmark.ts';
import { ROOT, stopAllAndReport } from './lib/children.ts';
import { CHAT_PATH, MODEL, type PolicyPlan } from './lib/federation.ts';
import { OUT, startFederationStack } from './lib/federation-stack.ts';
import { CdpSession, target } from './lib/inspector-profile.ts';
import { openLoop } from './lib/open-loop.ts';
import { publishSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, percentile, signed } from './lib/stats.ts';

const LAST_JSON = resolve(OUT, 'soak-last.json');
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
  quick: boolean;
}

const USAGE = `  --minutes <n>          measured load (default 10; --quick 1)
  --rate <n>             requests per second, open loop (default 40)
  --stream-share <0..1>  share of requests that stream (default 0.5)
  --repeat-share <0..1>  share of requests repeating one of ${POOL} prompts, so cache hits (default 0.2)
  --max-tokens <n>       max_tokens per request (default 16)
  --sample-every <s>     RSS and heap sampling interval (default 5)
  --profile <name>       simulator latency profile: h100-8b | fast (default h100-8b)
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
  });
  if (f.rounds !== undefined || f.duration !== undefined) throw new UsageError('use --minutes; --duration and --rounds do not apply');
  const quick = f.quick === true;
  const profile = typeof f.profile === 'string' ? f.profile : 'h100-8b';
  if (!['h100-8b', 'fast'].includes(profile)) throw new UsageError(`--profile must be h100-8b or fast (got "${profile}")`);
  return {
    minutes: numberFlag(f.minutes, quick ? 1 : 10, 'minutes'),
    rate: numberFlag(f.rate, 40, 'rate'),
    streamShare: shareFlag(f['stream-share'], 0.5, 'stream-share'),
    repeatShare: shareFlag(f['repeat-share'], 0.2, 'repeat-share'),
    maxTokens: numberFlag(f['max-tokens'], 16, 'max-tokens', true),
    sampleEveryS: numberFlag(f['sample-every'], 5, 'sample-every'),
    profile,
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
}

const MiB = 2 ** 20;
const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;

interface Minute {
  minute: number;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
  rssMiB: number;
  heapUsedMiB: number;
  cacheHits: number;
}

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const code = codeVersion();
  try {
    const stack = await startFederationStack({ name: 'soak', profile: s.profile, policy: POLICY, probeIntervalMs: 1000 });
    const gateway = await stack.startGateway({ inspect: true });
    const pid = gateway.child.proc.pid;
    if (pid === undefined || gateway.inspector === undefined) throw new Error('the gateway has no pid or inspector');
    const cdp = await CdpSession.open(await target(gateway.inspector, ''));
    const heap = async () => cdp.call<{ usedSize: number; totalSize: number }>('Runtime.getHeapUsage');
    const liveHeapMiB = async () => {
      await cdp.call('HeapProfiler.collectGarbage');
      return (await heap()).usedSize / MiB;
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
            headers: { ...headers, 'x-request-id': `${stack.runId}${tag}-${i}` },
            body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: s.maxTokens, temperature: 0, ...(stream ? { stream: true } : {}) }),
          };
        },
      });

    console.log(`warm-up: ${WARMUP_S} s at ${s.rate} req/s…`);
    const warm = await load('-warm', WARMUP_S * 1000).done;
    const warmFailed = warm.filter((x) => outcomeOf(x) !== 'ok').length;
    const liveAtStart = await liveHeapMiB();
    console.log(`measuring: ${s.minutes} min at ${s.rate} req/s; RSS and heap every ${s.sampleEveryS} s…`);
    const durationMs = s.minutes * 60_000;
    const measured = load('', durationMs);
    const memory: MemorySample[] = [];
    const sampler = (async () => {
      for (let t = 0; t * 1000 <= durationMs; t += s.sampleEveryS) {
        await new Promise((r) => setTimeout(r, Math.max(0, measured.startedAt + t * 1000 - performance.now())));
        const h = await heap();
        memory.push({ at: t, rssMiB: rssOf(pid), heapUsedMiB: h.usedSize / MiB, heapTotalMiB: h.totalSize / MiB });
        if (t % 60 === 0) console.log(`  ${t} s: RSS ${fmt(memory[memory.length - 1]?.rssMiB ?? Number.NaN, 1)} MiB, heap ${fmt(h.usedSize / MiB, 1)} MiB, ${measured.inflight()} in flight`);
      }
    })();
    const [samples] = await Promise.all([measured.done, sampler]);
    await new Promise((r) => setTimeout(r, 2000)); // the last deferred writes (cache, usage)
    const liveAtEnd = await liveHeapMiB();
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
      const mem = memory.filter((x) => x.at >= m * 60 && x.at < (m + 1) * 60);
      minutes.push({
        minute: m + 1,
        requests: inMinute.length,
        errors: inMinute.length - ok.length,
        p50: percentile(ok, 50),
        p99: percentile(ok, 99),
        rssMiB: percentile(mem.map((x) => x.rssMiB), 50),
        heapUsedMiB: percentile(mem.map((x) => x.heapUsedMiB), 50),
        cacheHits: inMinute.filter((x) => (x.headers['x-switchyard-cache'] ?? '').startsWith('hit')).length,
      });
    }
    const first = minutes[0];
    const last = minutes[minutes.length - 1];
    const drift = (f: (m: Minute) => number) => (first && last ? `${fmt(f(first), 1)} → ${fmt(f(last), 1)} (${signed(f(last) - f(first), 1)})` : '–');
    const seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
    const rssAll = memory.map((x) => x.rssMiB);
    const markdown = `## Soak: ${s.minutes} minute${s.minutes === 1 ? '' : 's'} of steady load, keys and cache on Redis

Measured ${startedAt.toISOString()} (run took ${seconds} s) on ${machine()}; 1-minute load average ${fmt(loadAtStart, 2)} at the start, ${fmt(loadAverage(), 2)} at the end. **The machine was shared**: other engineers ran tests and benchmarks on the same 2 cores during the run. Gateway code: ${code}.

${s.rate} req/s open loop for ${s.minutes} min through \`switchyard serve\` (${samples.length} requests) over three simulated regions (4 simulators, \`--profile ${s.profile}\`, \`max_tokens\` ${s.maxTokens}); ${fmt(100 * s.streamShare, 0)}% of the unique requests stream, ${fmt(100 * s.repeatShare, 0)}% of all requests repeat one of ${POOL} prompts (half of those streaming), so they are answered from the cache (every request has \`temperature\` 0, so is cacheable). Keys, the response cache's L3 and the health snapshot on Redis (redis-server behind the Upstash REST bridge); the prober apart from the gateway, every second. Gateway RSS from /proc every ${s.sampleEveryS} s, V8 heap from its inspector (\`Runtime.getHeapUsage\`); live heap after a forced GC (\`HeapProfiler.collectGarbage\`) after the ${WARMUP_S} s warm-up and after the run.

| Measure | first minute → last minute |
|---|---|
| **errors** (anything but a complete answer; goal 0) | **${errors.length}** in all (${OUTCOME_NAMES.filter((n) => n !== 'ok').map((n) => `${n} ${counts[n]}`).join(', ')}); ${first?.errors ?? '–'} → ${last?.errors ?? '–'} |
| **RSS MiB** (median of the minute's samples) | **${drift((m) => m.rssMiB)}**; lowest ${fmt(Math.min(...rssAll), 1)}, highest ${fmt(Math.max(...rssAll), 1)}, ${fmt(rssAtEnd, 1)} after the run |
| V8 heap used MiB (median of the minute's samples) | ${drift((m) => m.heapUsedMiB)} |
| live heap after a forced GC, MiB: after the warm-up → after the run | ${fmt(liveAtStart, 1)} → ${fmt(liveAtEnd, 1)} (${signed(liveAtEnd - liveAtStart, 1)}) |
| **p99 ms** (complete answers, from sending to the last byte) | **${drift((m) => m.p99)}** |
| p50 ms | ${drift((m) => m.p50)} |
| answers by \`x-switchyard-cache\` | ${[...cache.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')} |
| warm-up requests not ok | ${warmFailed} of ${warm.length} |

<details><summary>Per minute</summary>

| minute | requests | errors | cache hits | p50 ms | p99 ms | RSS MiB | heap used MiB |
|---:|---:|---:|---:|---:|---:|---:|---:|
${minutes.map((m) => `| ${m.minute} | ${m.requests} | ${m.errors} | ${m.cacheHits} | ${fmt(m.p50, 1)} | ${fmt(m.p99, 1)} | ${fmt(m.rssMiB, 1)} | ${fmt(m.heapUsedMiB, 1)} |`).join('\n')}

</details>

Every request and memory sample: \`${rel(LAST_JSON)}\` (local, git-ignored).

Commands (ports picked free at run time; paths relative to the repository):

\`\`\`
npm run bench -- soak${s.quick ? ' --quick' : ''}   # --minutes ${s.minutes} --rate ${s.rate} --stream-share ${s.streamShare} --repeat-share ${s.repeatShare} --max-tokens ${s.maxTokens} --sample-every ${s.sampleEveryS} --profile ${s.profile}
${stack.commands().join('\n')}
\`\`\`${errors.length > 0 ? `\n\nFirst errors: ${errors.slice(0, 5).map((x) => `\`${outcomeOf(x)} ${x.status} ${(x.error ?? '').slice(0, 160).replace(/`/g, "'")}\``).join('; ')}` : ''}${stack.otherLines.count > 0 ? `\n\nThe gateway wrote ${stack.otherLines.count} other line(s) (first ${stack.otherLines.first.length}): ${stack.otherLines.first.map((l) => `\`${l.replace(/`/g, "'")}\``).join('; ')}` : ''}`;
    writeFileSync(LAST_JSON, JSON.stringify({ settings: s, memory, minutes, samples }, null, 1));
    publishSection('soak', markdown, { quick: s.quick, after: 'chaos' });
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
