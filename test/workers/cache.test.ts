// The response cache inside workerd, in front of real simulators: L1 isolate memory, L2 the
// Cache API (miniflare's), L3 a real redis-server behind the Upstash REST bridge.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorker, type Env } from '../../workers/gateway.ts';
import { dispatch, testEnv } from './dispatch.ts';
import { createApp } from '../../src/app.ts';
import { ApiKeys, seedKeys } from '../../src/auth/api-keys.ts';
import { fetchTransport } from '../../src/backends/fetch-transport.ts';
import { cacheStoreFromEnv } from '../../src/cache/l3-store.ts';
import { DEFAULT_EDGE_CACHE, type EdgeCachePolicy } from '../../src/cache/policy.ts';
import type { CompiledFleet } from '../../src/fleet/compiled.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';

const fleet = inject('fleet');
const secrets = inject('secrets');
const keys = inject('keys');
const simUrls = inject('simUrls');
const redis = inject('redis');

/** The gateway over Redis: keys and L3 there; each new `env` object is a new isolate (its own L1). */
const redisEnv = (): Env => testEnv({ SWITCHYARD_KEYS: undefined, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token });
const withCache = (cache: Partial<EdgeCachePolicy>): CompiledFleet => ({ ...fleet, cache: { ...DEFAULT_EDGE_CACHE, ...cache } });
const worker = createWorker(fleet);
const tenants = { a: '', b: '' };

beforeAll(async () => {
  const apiKeys = new ApiKeys(UpstashStore.connect({ url: redis.url, token: redis.token }), { memoTtlMs: 0 });
  tenants.a = (await apiKeys.create({ tenant: 'cache-tenant-a' })).key;
  tenants.b = (await apiKeys.create({ tenant: 'cache-tenant-b' })).key;
});

type Worker = ReturnType<typeof createWorker>;
interface Answer {
  status: number;
  cache: string | null;
  region: string | null;
  text: string;
}

async function call(w: Worker, env: Env, body: Record<string, unknown>, options: { key?: string; host?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  const request = new Request(`https://${options.host ?? 'gateway.test'}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.key ?? tenants.a}`, 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
  });
  const { response, settled } = await dispatch(w, request, env);
  const text = await response.text();
  await settled(); // the deferred fills and promotions
  return { status: response.status, cache: response.headers.get('x-switchyard-cache'), region: response.headers.get('x-switchyard-region'), text };
}

let n = 0;
/** A deterministic request no other test sends (the colo cache and Redis outlive each test). */
const fresh = (extra: Record<string, unknown> = {}) => ({
  model: 'llama-3.1-8b',
  messages: [{ role: 'user', content: `Cache test ${Date.now()}-${++n}: name a railway yard.` }],
  max_tokens: 6,
  temperature: 0,
  ...extra,
});
const upstreamCalls = async () =>
  (await Promise.all(['us-east-8b', 'eu-west-8b', 'apac-8b'].map(async (s) => ((await (await fetch(`${simUrls[s]}/sim/requests`)).json()) as unknown[]).length))).reduce((a, b) => a + b, 0);
const redisCommand = async (command: (string | number)[]) =>
  ((await (await fetch(redis.url, { method: 'POST', headers: { authorization: `Bearer ${redis.token}` }, body: JSON.stringify(command) })).json()) as { result: unknown }).result;

describe('the response cache in workerd', () => {
  it('misses, then hits L1; a new isolate hits L2; another host (no L2 entry) hits L3; each hit is promoted', async () => {
    const body = fresh();
    const isolate1 = redisEnv();
    const miss = await call(worker, isolate1, body);
    expect(miss).toMatchObject({ status: 200, cache: 'miss' });
    const before = await upstreamCalls();

    expect(await call(worker, isolate1, body)).toMatchObject({ cache: 'hit-l1', text: miss.text, region: miss.region });
    const isolate2 = redisEnv();
    expect(await call(worker, isolate2, body)).toMatchObject({ cache: 'hit-l2', text: miss.text, region: miss.region });
    expect((await call(worker, isolate2, body)).cache).toBe('hit-l1'); // promoted from L2

    // The Cache API keys by URL on the request's host: another host has nothing in L2.
    const isolate3 = redisEnv();
    expect(await call(worker, isolate3, body, { host: 'other.test' })).toMatchObject({ cache: 'hit-l3', text: miss.text });
    expect((await call(worker, isolate3, body, { host: 'other.test' })).cache).toBe('hit-l1');
    expect((await call(worker, redisEnv(), body, { host: 'other.test' })).cache).toBe('hit-l2'); // promoted from L3 into L2
    expect(await upstreamCalls()).toBe(before);
  });

  it('keeps tenants apart in every tier: tenant B never reads tenant A\'s entry', async () => {
    const body = fresh();
    const env = redisEnv();
    expect((await call(worker, env, body, { key: tenants.a })).cache).toBe('miss');
    expect((await call(worker, env, body, { key: tenants.b })).cache).toBe('miss'); // same isolate, same colo, same Redis
    expect((await call(worker, redisEnv(), body, { key: tenants.b, host: 'third.test' })).cache).toBe('hit-l3'); // its own entry
    const stored = (await redisCommand(['KEYS', 'switchyard:cache:*'])) as string[];
    expect(stored.length).toBeGreaterThanOrEqual(2);
  });

  it('replays a streamed entry as SSE (chunks, usage, [DONE]) from L1 and L2, and serves it to a non-streamed request', async () => {
    const body = fresh({ stream: true, stream_options: { include_usage: true } });
    const env = redisEnv();
    const streamed = await call(worker, env, body);
    expect(streamed.cache).toBe('miss');
    const content = (sse: string) =>
      sse
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
        .join('');
    for (const [isolate, tier] of [
      [env, 'hit-l1'],
      [redisEnv(), 'hit-l2'],
    ] as const) {
      const replay = await call(worker, isolate, body);
      expect(replay.cache).toBe(tier);
      expect(content(replay.text)).toBe(content(streamed.text));
      expect(replay.text).toMatch(/"choices":\[\],"usage":\{"prompt_tokens":\d+/);
      expect(replay.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    }
    const whole = await call(worker, redisEnv(), { ...body, stream: false, stream_options: undefined });
    expect(whole.cache).toBe('hit-l2');
    expect((JSON.parse(whole.text) as { object: string; choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(content(streamed.text));
  });

  it('never stores a stream the upstream cut, nor an upstream error', async () => {
    const env: Env = testEnv();
    const cut = { ...fresh({ stream: true, max_tokens: 20 }), model: 'cut-model' };
    expect((await call(worker, env, cut, { key: keys.any })).text).toMatch(/stream_truncated/);
    expect((await call(worker, env, cut, { key: keys.any })).cache).toBe('miss');
    const broken = { ...fresh(), model: 'broken-model' };
    expect((await call(worker, env, broken, { key: keys.any })).status).toBe(502);
    expect((await call(worker, env, broken, { key: keys.any })).status).toBe(502);
  });

  it('bypasses sampled requests and Cache-Control: no-store', async () => {
    const env = redisEnv();
    expect((await call(worker, env, fresh({ temperature: 0.9 }))).cache).toBe('bypass');
    const body = fresh();
    expect((await call(worker, env, body, { headers: { 'cache-control': 'no-store' } })).cache).toBe('bypass');
    expect((await call(worker, env, body)).cache).toBe('miss');
    expect((await call(worker, env, body, { headers: { 'cache-control': 'no-cache' } })).cache).toBe('miss');
    expect((await call(worker, env, body)).cache).toBe('hit-l1');
  });

  it("expires the colo entry after the policy's L2 TTL", async () => {
    const w = createWorker(withCache({ l1: { ...DEFAULT_EDGE_CACHE.l1, enabled: false }, l2: { enabled: true, ttlSeconds: 1 }, l3: { ...DEFAULT_EDGE_CACHE.l3, enabled: false } }));
    const body = fresh();
    const env = redisEnv();
    expect((await call(w, env, body)).cache).toBe('miss');
    expect((await call(w, env, body)).cache).toBe('hit-l2');
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(w, env, body)).cache).toBe('miss');
  });

  it('Redis down: the request still succeeds, as a miss, and L1 and L2 keep working', async () => {
    const store = new MemoryStore();
    await seedKeys(store, keys.records);
    const app = createApp({
      fleet,
      keys: new ApiKeys(store),
      transport: fetchTransport(),
      secret: (name) => secrets[name],
      // Nothing listens on port 9: every Redis call fails at once.
      cache: { colo: await caches.open('switchyard-responses'), store: cacheStoreFromEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', UPSTASH_REDIS_REST_TOKEN: 'x' }) ?? new MemoryStore() },
    });
    const ask = async (body: Record<string, unknown>) => {
      const ctx = createExecutionContext();
      const response = await app.fetch(
        new Request('https://down.test/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${keys.any}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        {},
        ctx,
      );
      await response.text();
      await waitOnExecutionContext(ctx);
      return [response.status, response.headers.get('x-switchyard-cache')];
    };
    const body = fresh();
    expect(await ask(body)).toEqual([200, 'miss']);
    expect(await ask(body)).toEqual([200, 'hit-l1']);
    expect(await ask(fresh())).toEqual([200, 'miss']);
  });
});
