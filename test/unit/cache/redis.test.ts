// The L3 tier and the Node gateway against a real redis-server behind the Upstash REST bridge:
// hits per tier, promotion, tenant isolation, a TTL that Redis itself expires, replay of a
// streamed entry, and Redis going down under a running gateway.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeGateway, type NodeGateway } from '../../../node/server.ts';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';
import { cacheStoreFromEnv } from '../../../src/cache/l3-store.ts';
import { DEFAULT_EDGE_CACHE, type EdgeCachePolicy } from '../../../src/cache/policy.ts';
import { ResponseCache } from '../../../src/cache/response-cache.ts';
import { L3_PREFIX } from '../../../src/cache/store-tier.ts';
import { ApiKeys, KEYS_HASH } from '../../../src/auth/api-keys.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { startRedisServer } from '../../../infra/local/redis-bridge.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';

const MODEL = 'llama-3.1-8b';
let redis: RealRedis;
let sim: SimServer;
let fleet: CompiledFleet;
const keys = { a: '', b: '' };

beforeAll(async () => {
  redis = await startRealRedis();
  sim = await startSim({ models: [MODEL], profile: 'zero' });
  fleet = compileFleet(
    parseFleet(
      `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  endpoints:
    - { model: ${MODEL}, url: "${sim.url}" }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: llama, annotations: { switchyard.dev/model: ${MODEL} } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
---
apiVersion: llm-d.ai/v1alpha1
kind: CachePolicy
metadata: { name: multi-tier-cache }
spec:
  tiers: [{ name: gpu, size: 80Gi, evictionPolicy: lru }]
  edge: { l1: { maxBytes: 1Mi, eviction: lru, ttl: 1m }, l3: { ttl: 1h, lookupTimeout: 1s } }
`,
      'redis.test.yaml',
    ),
  );
  const apiKeys = new ApiKeys(UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token }), { memoTtlMs: 0 });
  keys.a = (await apiKeys.create({ tenant: 'tenant-a' })).key;
  keys.b = (await apiKeys.create({ tenant: 'tenant-b' })).key;
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await redis?.close();
});

const env = () => ({ UPSTASH_REDIS_REST_URL: redis.bridge.url, UPSTASH_REDIS_REST_TOKEN: redis.bridge.token });
const gateways: NodeGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});
/** A fresh gateway process image: its own L1, the shared Redis as L3. */
async function gateway(): Promise<NodeGateway> {
  const g = await startNodeGateway({ fleet, env: env(), probeIntervalMs: 0 });
  gateways.push(g);
  return g;
}

const ask = async (g: NodeGateway, key: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) => {
  const response = await fetch(`${g.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Name three railway yards.' }], max_tokens: 8, temperature: 0, ...extra }),
  });
  return { status: response.status, cache: response.headers.get('x-switchyard-cache'), region: response.headers.get('x-switchyard-region'), text: await response.text() };
};
/** Fills happen after the response (deferred): give them a moment to land in Redis. */
const settle = () => sleep(150);
const redisKeys = async () => ((await redis.command(['KEYS', `${L3_PREFIX}*`])) as string[]).sort();
const simRequests = async () => ((await (await fetch(`${sim.url}/sim/requests`)).json()) as unknown[]).length;

describe('the Node gateway with Redis as L3', () => {
  it('misses, fills L1 and Redis, hits L1, and a fresh gateway hits L3 (then L1: promoted)', async () => {
    await redis.command(['FLUSHDB']);
    await seedKeysAgain();
    const keysBefore = await apiKeysIn();
    const g1 = await gateway();
    const miss = await ask(g1, keys.a);
    expect(miss).toMatchObject({ status: 200, cache: 'miss', region: 'us-east' });
    await settle();
    expect(await redisKeys()).toHaveLength(1);
    const upstream = await simRequests();
    expect(await ask(g1, keys.a)).toMatchObject({ status: 200, cache: 'hit-l1', text: miss.text });

    const g2 = await gateway();
    expect(await ask(g2, keys.a)).toMatchObject({ status: 200, cache: 'hit-l3', region: 'us-east', text: miss.text });
    expect(await ask(g2, keys.a)).toMatchObject({ cache: 'hit-l1' });
    expect(await simRequests()).toBe(upstream); // no hit reached the upstream
    expect(await apiKeysIn()).toEqual(keysBefore);
  });

  it('keeps tenants apart in Redis: tenant B never reads tenant A\'s entry', async () => {
    await redis.command(['FLUSHDB']);
    await seedKeysAgain();
    const g = await gateway();
    expect((await ask(g, keys.a, { seed: 11 })).cache).toBe('miss');
    await settle();
    expect((await ask(await gateway(), keys.b, { seed: 11 })).cache).toBe('miss');
    await settle();
    expect(await redisKeys()).toHaveLength(2);
    expect((await ask(await gateway(), keys.b, { seed: 11 })).cache).toBe('hit-l3');
  });

  it('replays a streamed entry from Redis to a streamed request, and to a non-streamed one', async () => {
    await redis.command(['FLUSHDB']);
    await seedKeysAgain();
    const streamed = await ask(await gateway(), keys.a, { seed: 5, stream: true, stream_options: { include_usage: true } });
    expect(streamed.cache).toBe('miss');
    await settle();
    const replay = await ask(await gateway(), keys.a, { seed: 5, stream: true, stream_options: { include_usage: true } });
    expect(replay.cache).toBe('hit-l3');
    const text = (s: string) =>
      s
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
        .join('');
    expect(text(replay.text)).toBe(text(streamed.text));
    expect(replay.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(replay.text).toMatch(/"choices":\[\],"usage":\{/);
    const whole = await ask(await gateway(), keys.a, { seed: 5 });
    expect(whole.cache).toBe('hit-l3');
    expect((JSON.parse(whole.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe(text(streamed.text));
  });

  it('Cache-Control: no-cache goes upstream and refreshes the entry; no-store leaves the cache alone', async () => {
    await redis.command(['FLUSHDB']);
    await seedKeysAgain();
    const g = await gateway();
    expect((await ask(g, keys.a, { seed: 21 }, { 'cache-control': 'no-store' })).cache).toBe('bypass');
    await settle();
    expect(await redisKeys()).toEqual([]);
    expect((await ask(g, keys.a, { seed: 21 }, { 'cache-control': 'no-cache' })).cache).toBe('miss');
    await settle();
    expect(await redisKeys()).toHaveLength(1);
    expect((await ask(g, keys.a, { seed: 21 })).cache).toBe('hit-l1');
  });
});

describe('the L3 tier on Redis', () => {
  const policy = (ttl: number): EdgeCachePolicy => ({ ...DEFAULT_EDGE_CACHE, l1: { ...DEFAULT_EDGE_CACHE.l1, enabled: false }, l3: { enabled: true, ttlSeconds: ttl, lookupTimeoutMs: 500 } });
  const cacheOn = (store = cacheStoreFromEnv(env())) => new ResponseCache({ policy: policy(1), ...(store ? { store } : {}) });
  const BODY = '{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}';
  const fillAndKey = async (cache: ResponseCache, tenant: string) => {
    const key = await cache.key({ tenant, kind: 'chat', model: 'm', request: { messages: [], temperature: 0 } }, 'http://x/');
    await cache.fillFromJson(key, new TextEncoder().encode(BODY), 'us-east');
    return key;
  };

  it('sets the entry\'s TTL on the Redis key, and Redis itself expires it', async () => {
    const cache = cacheOn();
    const key = await fillAndKey(cache, 'ttl-tenant');
    const pttl = Number(await redis.command(['PTTL', L3_PREFIX + key.id]));
    expect(pttl).toBeGreaterThan(500);
    expect(pttl).toBeLessThanOrEqual(1000);
    expect((await cache.lookup(key, { usage: false, region: () => true }, () => {}))?.tier).toBe('l3');
    await sleep(1100);
    expect(await redis.command(['EXISTS', L3_PREFIX + key.id])).toBe(0);
    expect(await cache.lookup(key, { usage: false, region: () => true }, () => {})).toBeUndefined();
  });

  it('Redis down: the gateway answers every request (as misses), and the cache comes back with Redis', async () => {
    const own = await startRealRedis();
    let restarted: { close(): Promise<void> } | undefined;
    try {
      const apiKeys = new ApiKeys(UpstashStore.connect({ url: own.bridge.url, token: own.bridge.token }), { memoTtlMs: 0 });
      const key = (await apiKeys.create({ tenant: 'down-tenant' })).key;
      // Keys verified once are remembered (memo), so the request path itself no longer needs Redis.
      const g = await startNodeGateway({ fleet, env: { UPSTASH_REDIS_REST_URL: own.bridge.url, UPSTASH_REDIS_REST_TOKEN: own.bridge.token }, probeIntervalMs: 0, keyMemoTtlMs: 60_000 });
      gateways.push(g);
      expect((await ask(g, key, { seed: 31 })).cache).toBe('miss');

      // What a persisted Redis would come back with: without the key records, the gateway (which
      // notices the emptied store through its policy version) rightly refuses the key.
      const keyRecords = (await own.command(['HGETALL', KEYS_HASH])) as string[]; // field, value, …
      await own.server.close(); // redis-server is gone: the bridge holds every command until it is back
      const started = performance.now();
      expect(await ask(g, key, { seed: 32 })).toMatchObject({ status: 200, cache: 'miss' });
      expect(performance.now() - started).toBeLessThan(3000); // the L3 lookup gave up after its timeout (1 s)
      await settle();
      expect((await ask(g, key, { seed: 32 })).cache).toBe('hit-l1'); // L1 goes on working

      restarted = await startRedisServer({ port: own.server.port }); // back, with the key records only
      await own.command(['HSET', KEYS_HASH, ...keyRecords]);
      const back = async () => ((await own.command(['KEYS', `${L3_PREFIX}*`])) as string[]).length;
      expect((await ask(g, key, { seed: 33 })).cache).toBe('miss');
      for (let i = 0; i < 50 && (await back()) === 0; i++) await sleep(100);
      expect(await back()).toBeGreaterThan(0);
    } finally {
      await own.bridge.close();
      await restarted?.close();
    }
  }, 30_000);
});

async function apiKeysIn(): Promise<string[]> {
  return Object.keys((await redis.command(['HGETALL', 'switchyard:keys'])) as Record<string, string>);
}
/** FLUSHDB also drops the key records: put the two test keys' records back. */
async function seedKeysAgain(): Promise<void> {
  const fresh = new ApiKeys(UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token }), { memoTtlMs: 0 });
  keys.a = (await fresh.create({ tenant: 'tenant-a' })).key;
  keys.b = (await fresh.create({ tenant: 'tenant-b' })).key;
}
