// `npm run bench -- propagation`: how long a change made on one gateway takes to reach every
// gateway. Two `switchyard serve` processes share real Redis (redis-server behind the Upstash
// REST bridge); each trial changes a key through gateway A's admin API and polls both until
// they answer the new way: a revoked key (401), a lowered rpm limit (429 with the new limit).
// A third `serve` runs on the key file and sees a revocation written to that file (what
// `switchyard keys revoke --store-file` does). Also counted: the store reads the mechanism
// costs while traffic flows (Redis INFO commandstats), which is the point of a version stamp.
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileStore } from '../cli/file-store.ts';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { DEFAULT_POLICY_CHECK_MS } from '../src/auth/policy-version.ts';
import { UpstashStore } from '../src/store/upstash-store.ts';
import { COMMON_USAGE, numberFlag, parseFlags, type Benchmark } from './lib/benchmark.ts';
import { childEnv, NODE, ROOT, start, stopAll, type Child } from './lib/children.ts';
import { startBridge } from './lib/redis-bridge.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, machine } from './lib/run-info.ts';
import { fmt, percentile } from './lib/stats.ts';

const OUT = resolve(ROOT, 'bench', 'out');
const FLEET = 'infra/fleet.local.yaml';
const KEY_FILE = resolve(OUT, 'propagation-keys.json');
const POLL_MS = 10;
const DEADLINE_MS = 2_000;
const rel = (path: string) => relative(ROOT, path);

const USAGE = `${COMMON_USAGE}
  --trials <n>     changes of each kind (default 20; --quick 5)

The policy check interval is the gateways' default (${DEFAULT_POLICY_CHECK_MS} ms).`;

async function serve(label: string, env: Record<string, string>, extra: string[] = []): Promise<{ child: Child; url: string }> {
  const child = start(label, NODE, ['cli/main.ts', 'serve', '--fleet', FLEET, '--port', '0', '--no-log', '--probe-interval', '0', ...extra], childEnv(env));
  const m = await child.waitForLine(/gateway on (http:\/\/[\d.]+:\d+)/, 30_000);
  return { child, url: m[1] ?? '' };
}

const get = async (url: string, key: string) => {
  const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response;
};

/** Milliseconds from `since` until `url` answers as `done` wants (polled every POLL_MS). */
async function until(url: string, key: string, done: (r: Response) => boolean, since: number): Promise<number> {
  for (;;) {
    const response = await get(url, key);
    if (done(response)) return performance.now() - since;
    if (performance.now() - since > 15_000) throw new Error(`${url} did not apply the change within 15 s (last answer ${response.status})`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function run(trials: number, quick: boolean): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  mkdirSync(OUT, { recursive: true });
  rmSync(KEY_FILE, { force: true });
  const commands: string[] = [];
  try {
    const bridge = await startBridge();
    commands.push(bridge.command);
    const redisCommand = async (args: string[]) => {
      const response = await fetch(bridge.url, { method: 'POST', headers: { authorization: `Bearer ${bridge.token}` }, body: JSON.stringify(args) });
      return ((await response.json()) as { result: unknown }).result;
    };
    const adminKey = (await new ApiKeys(UpstashStore.connect(bridge)).create({ tenant: 'ops', role: 'admin' })).key;
    const upstash = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token };
    const fileKeys = new ApiKeys(new FileStore(KEY_FILE), { memoTtlMs: 0 });
    await fileKeys.create({ tenant: 'bench' }); // the file exists before the gateway starts
    const [a, b, f] = await Promise.all([serve('gateway A', upstash), serve('gateway B', upstash), serve('gateway F (key file)', {}, ['--keys-file', rel(KEY_FILE)])]);
    commands.push(`UPSTASH_REDIS_REST_URL=<bridge> UPSTASH_REDIS_REST_TOKEN=<token> ${a.child.command}   # twice: gateways A and B`, f.child.command);

    const adminCall = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${a.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as { id: string; key: string };
    };

    const samples = { revokeA: [] as number[], revokeB: [] as number[], limitA: [] as number[], limitB: [] as number[], file: [] as number[] };
    for (let trial = 0; trial < trials; trial++) {
      const revoked = await adminCall('POST', '/admin/keys', { tenant: 'bench' });
      for (const g of [a, b]) if ((await get(g.url, revoked.key)).status !== 200) throw new Error('a new key was refused');
      let since = performance.now();
      await adminCall('POST', `/admin/keys/${revoked.id}/revoke`);
      const [ra, rb] = await Promise.all([a, b].map((g) => until(g.url, revoked.key, (r) => r.status === 401, since)));
      samples.revokeA.push(ra ?? Number.NaN);
      samples.revokeB.push(rb ?? Number.NaN);

      const limited = await adminCall('POST', '/admin/keys', { tenant: 'bench', limits: { rpm: 1_000_000 } });
      for (const g of [a, b]) await get(g.url, limited.key); // both memoize it, and count 2 requests
      since = performance.now();
      await adminCall('PATCH', `/admin/keys/${limited.id}`, { limits: { rpm: 1 } });
      const [la, lb] = await Promise.all([a, b].map((g) => until(g.url, limited.key, (r) => r.status === 429 && r.headers.get('x-ratelimit-limit-requests') === '1', since)));
      samples.limitA.push(la ?? Number.NaN);
      samples.limitB.push(lb ?? Number.NaN);

      const { key, record } = await fileKeys.create({ tenant: 'bench' });
      if ((await get(f.url, key)).status !== 200) throw new Error('a key written to the file was refused');
      since = performance.now();
      await fileKeys.revoke(record.id); // what `switchyard keys revoke --store-file` does
      samples.file.push(await until(f.url, key, (r) => r.status === 401, since));
      console.log(`trial ${trial + 1}/${trials}: revoke A ${fmt(ra ?? Number.NaN, 0)} / B ${fmt(rb ?? Number.NaN, 0)} ms, rpm A ${fmt(la ?? Number.NaN, 0)} / B ${fmt(lb ?? Number.NaN, 0)} ms, key file ${fmt(samples.file.at(-1) ?? Number.NaN, 0)} ms`);
    }

    // What it costs: Redis commands while the two gateways serve steady traffic and nothing changes.
    const key = (await adminCall('POST', '/admin/keys', { tenant: 'bench' })).key;
    const stats = async () => {
      const info = String(await redisCommand(['INFO', 'commandstats']));
      const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
      return { get: calls('get'), hget: calls('hget'), total: [...info.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0) };
    };
    const seconds = quick ? 3 : 10;
    const before = await stats();
    let requests = 0;
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline) {
      await Promise.all([get(a.url, key), get(b.url, key)]);
      requests += 2;
    }
    const after = await stats();
    // The INFO calls themselves are not traffic.
    const cost = { get: after.get - before.get, hget: after.hget - before.hget, total: after.total - before.total - 1 };

    const row = (label: string, values: number[]) =>
      `| ${label} | ${values.length} | ${fmt(percentile(values, 50), 0)} | ${fmt(percentile(values, 95), 0)} | ${fmt(Math.max(...values), 0)} | ${values.every((v) => v < DEADLINE_MS) ? 'PASS' : '**FAIL**'} |`;
    const allPass = Object.values(samples).every((values) => values.every((v) => v < DEADLINE_MS));
    const markdown = `## Propagation: a revocation or a limit change, on every gateway

Measured ${startedAt.toISOString()} (run took ${Math.round((Date.now() - startedAt.getTime()) / 1000)} s) on ${machine()}; 1-minute load average ${fmt(loadAtStart, 2)} at the start, ${fmt(os.loadavg()[0] ?? Number.NaN, 2)} at the end. Code: ${codeVersion()}. The machine is shared with other work.

Two \`switchyard serve\` gateways (A, B) share Redis (redis-server behind the Upstash REST bridge); each change goes through A's admin API, and both are polled (\`GET /v1/models\` every ${POLL_MS} ms) from just before the change is sent until they answer the new way. Both have the key memoized before the change (memo TTL 30 s). A third gateway (F) runs on the key file; the change is written to that file as \`switchyard keys revoke --store-file\` writes it. Target: every change on every gateway within ${DEADLINE_MS} ms.

| Change → gateway | trials | p50 ms | p95 ms | max ms | within ${DEADLINE_MS} ms |
|---|---:|---:|---:|---:|:---:|
${row('revoke → A (the gateway that made the change)', samples.revokeA)}
${row('revoke → B', samples.revokeB)}
${row('rpm 1,000,000 → 1 → A', samples.limitA)}
${row('rpm 1,000,000 → 1 → B', samples.limitB)}
${row('revoke in the key file → F', samples.file)}

**${allPass ? 'PASS' : 'FAIL'}**: ${allPass ? 'every change reached every gateway within 2 s' : 'some change took longer than 2 s'}.

How: every write to a key or tenant record rewrites one version stamp (\`switchyard:policy:version\`); each instance reads it at most once a second (the request that finds the check due waits for that one GET, at most 100 ms; the others do not wait) and, when it moved, drops its memoized keys and tenants and its cached rate-limit state. A, which made the change, drops its own memo at once. B and F answered a request right before the change, which ran their check then: they see the change at their next check, one interval later, which is the worst case (a gateway whose last check is older sees it sooner). Expected worst case: one check interval plus one read.

What it costs, measured: while A and B served ${requests} authenticated requests over ${seconds} s with nothing changing, Redis ran ${cost.total} commands in all: ${cost.get} GET (${fmt(cost.get / seconds / 2, 2)} per second per gateway: the version stamp and the prober's health snapshot, each read at most once a second) and ${cost.hget} HGET (key records). Without the stamp, the same guarantee would take a store read per request (${requests} reads).

Commands (paths relative to the repository):

\`\`\`
npm run bench -- propagation${quick ? ' --quick' : ''}   # --trials ${trials}
${commands.join('\n')}
\`\`\``;
    console.log(`\n${markdown}\n`);
    if (!quick) {
      writeSection('propagation', markdown, { after: 'limits' });
      console.log('wrote the propagation section of bench/RESULTS.md');
    }
    return allPass ? 0 : 1;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

export const benchmark: Benchmark = {
  summary: 'two switchyard serve gateways sharing Redis, and one on the key file: how long a revocation or a limit change takes to reach each',
  usage: USAGE,
  run: async (argv) => {
    const f = parseFlags(argv, { trials: { type: 'string' } });
    const quick = f.quick === true;
    return run(numberFlag(f.trials, quick ? 5 : 20, 'trials', true), quick);
  },
};
