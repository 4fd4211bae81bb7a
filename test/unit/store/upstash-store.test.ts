// UpstashStore driven by the real @upstash/redis client, through the REST bridge, against a
// real redis-server. TTLs are observed for real.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { startRealRedis, type RealRedis } from './real-redis.ts';
import { storeContract } from './store-contract.ts';

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
});

const connect = () => UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token });

storeContract('UpstashStore', {
  fresh: async () => {
    await redis.command(['FLUSHDB']);
    return connect();
  },
  advance: (ms) => sleep(ms),
});

describe('UpstashStore', () => {
  it('is the upstash kind and writes what redis-server itself then holds', async () => {
    const store = connect();
    expect(store.kind).toBe('upstash');
    await store.set('seen-by-redis', '{"n":1}');
    await store.hset('hash-seen-by-redis', 'f', '42');
    expect(await redis.command(['GET', 'seen-by-redis'])).toBe('{"n":1}');
    expect(await redis.command(['HGETALL', 'hash-seen-by-redis'])).toEqual(['f', '42']);
  });

  it('sets the TTL on the Redis key itself', async () => {
    const store = connect();
    await store.set('ttl-key', 'v', { ttlSeconds: 30 });
    const pttl = Number(await redis.command(['PTTL', 'ttl-key']));
    expect(pttl).toBeGreaterThan(29_000);
    expect(pttl).toBeLessThanOrEqual(30_000);
  });

  it('fails loudly with a client that deserializes JSON', async () => {
    const { Redis } = await import('@upstash/redis/cloudflare');
    const store = new UpstashStore(new Redis({ url: redis.bridge.url, token: redis.bridge.token, enableTelemetry: false }));
    await store.set('numberish', '42');
    await expect(store.get('numberish')).rejects.toThrow(/automaticDeserialization: false/);
  });

  it("serves the real client's transactions and explicit pipelines through the bridge", async () => {
    const { Redis } = await import('@upstash/redis/cloudflare');
    const client = new Redis({ url: redis.bridge.url, token: redis.bridge.token, enableTelemetry: false });
    const transaction = client.multi();
    transaction.set('tx', 'a');
    transaction.append('tx', 'é');
    transaction.get('tx');
    expect(await transaction.exec()).toEqual(['OK', 3, 'aé']);
    const pipeline = client.pipeline();
    pipeline.incr('counter');
    pipeline.incr('counter');
    expect(await pipeline.exec()).toEqual([1, 2]);
  });

  it('surfaces a wrong token as an error rather than an empty answer', async () => {
    const store = UpstashStore.connect({ url: redis.bridge.url, token: 'wrong' });
    await expect(store.get('k')).rejects.toThrow(/Unauthorized/);
  });
});
