// L1 → L2 → L3 with promotion and fills, each tier's TTL on an injected clock, failures as
// misses, tenant isolation — over the real MemoryTier, the colo tier on a Cache API stand-in
// and the Redis tier on the in-memory store (the real Redis is in redis.test.ts).
import { describe, expect, it } from 'vitest';
import { DEFAULT_EDGE_CACHE, type EdgeCachePolicy } from '../../../src/cache/policy.ts';
import { ResponseCache, type Wanted } from '../../../src/cache/response-cache.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { completionBody, usageOf } from '../../../infra/local/sim/response-bodies.ts';
import { downStore, failingColo, fakeColoCache, hangingStore } from './fakes.ts';
import type { ColoCache } from '../../../src/cache/colo-tier.ts';
import type { TierName } from '../../../src/cache/entry.ts';

const T0 = 1_767_225_600_000;
const POLICY: EdgeCachePolicy = {
  ...DEFAULT_EDGE_CACHE,
  l1: { enabled: true, maxBytes: 1 << 20, eviction: 'lru', ttlSeconds: 10 },
  l2: { enabled: true, ttlSeconds: 60 },
  l3: { enabled: true, ttlSeconds: 3600, lookupTimeoutMs: 50 },
};
const BODY = completionBody('chat', { id: 'chatcmpl-1', created: 1, model: 'llama-3.1-8b' }, 'Hello!', 'stop', usageOf(3, 2, 0));
const REQUEST = { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], temperature: 0 };
const URL_ = 'https://gateway.test/v1/chat/completions';
const ANYWHERE: Wanted = { usage: true, region: () => true };

/** One "world": the shared tiers (colo, Redis) and a clock; each `isolate()` has its own L1. */
function world(options: { colo?: ColoCache | null; store?: Store | null; policy?: EdgeCachePolicy } = {}) {
  const clock = { now: T0 };
  const now = () => clock.now;
  const colo = options.colo === null ? undefined : (options.colo ?? fakeColoCache(now));
  const store = options.store === null ? undefined : (options.store ?? new MemoryStore({ now }));
  const errors: [TierName, string][] = [];
  const deferred: Promise<unknown>[] = [];
  const isolate = () => {
    const cache = new ResponseCache({
      policy: options.policy ?? POLICY,
      ...(colo ? { colo } : {}),
      ...(store ? { store } : {}),
      now,
      onError: (tier, op) => errors.push([tier, op]),
    });
    const defer = (work: () => Promise<unknown>) => void deferred.push(work());
    return {
      cache,
      key: (tenant = 'acme', request: Record<string, unknown> = REQUEST) => cache.key({ tenant, kind: 'chat', model: 'llama-3.1-8b', request }, URL_),
      fill: async (tenant = 'acme') => cache.fillFromJson(await cache.key({ tenant, kind: 'chat', model: 'llama-3.1-8b', request: REQUEST }, URL_), new TextEncoder().encode(BODY), 'us-east'),
      lookup: async (tenant = 'acme', wanted = ANYWHERE) => {
        const hit = await cache.lookup(await cache.key({ tenant, kind: 'chat', model: 'llama-3.1-8b', request: REQUEST }, URL_), wanted, defer);
        await Promise.all(deferred.splice(0));
        return hit ? { tier: hit.tier, body: hit.entry.body, region: hit.entry.region } : undefined;
      },
    };
  };
  return { clock, colo, store, errors, isolate };
}

describe('the tiered cache', () => {
  it('misses everywhere, then after a fill hits L1 in the same isolate', async () => {
    const w = world();
    const a = w.isolate();
    expect(await a.lookup()).toBeUndefined();
    await a.fill();
    expect(await a.lookup()).toEqual({ tier: 'l1', body: BODY, region: 'us-east' });
  });

  it('fills every tier: another isolate of the colo hits L2, one in another colo hits L3', async () => {
    const w = world();
    await w.isolate().fill();
    expect((await w.isolate().lookup())?.tier).toBe('l2');
    const elsewhere = world({ store: w.store ?? null }); // its own colo cache, the same Redis
    elsewhere.clock.now = w.clock.now;
    expect((await elsewhere.isolate().lookup())?.tier).toBe('l3');
  });

  it('promotes an L2 hit into L1, and an L3 hit into L1 and L2', async () => {
    const w = world();
    await w.isolate().fill();
    const b = w.isolate();
    expect((await b.lookup())?.tier).toBe('l2');
    expect((await b.lookup())?.tier).toBe('l1');

    const other = world({ store: w.store ?? null });
    const c = other.isolate();
    expect((await c.lookup())?.tier).toBe('l3');
    expect((await c.lookup())?.tier).toBe('l1');
    expect((await other.isolate().lookup())?.tier).toBe('l2'); // the promotion reached this colo's cache
  });

  it("expires each tier on its own TTL, counted from when the answer was made (promotions too)", async () => {
    const w = world();
    const a = w.isolate();
    await a.fill();
    w.clock.now = T0 + 9_000;
    expect((await a.lookup())?.tier).toBe('l1');
    w.clock.now = T0 + 10_000; // L1's 10 s are over
    expect((await a.lookup())?.tier).toBe('l2');
    w.clock.now = T0 + 60_000; // L2's 60 s are over; the L2 promotion into L1 above did not restart L1's clock
    expect((await a.lookup())?.tier).toBe('l3');
    // L3 promoted into L2 and L1 with what was left of their TTLs: none, so they stay empty.
    expect((await w.isolate().lookup())?.tier).toBe('l3');
    w.clock.now = T0 + 3_600_000; // L3's hour is over
    expect(await a.lookup()).toBeUndefined();
  });

  it('never lets one tenant read another tenant\'s entry, in any tier', async () => {
    const w = world();
    await w.isolate().fill('tenant-a');
    const b = w.isolate();
    expect(await b.lookup('tenant-b')).toBeUndefined();
    expect((await b.lookup('tenant-a'))?.tier).toBe('l2');
    const fresh = world({ colo: null, store: w.store ?? null });
    expect(await fresh.isolate().lookup('tenant-b')).toBeUndefined();
    expect((await fresh.isolate().lookup('tenant-a'))?.tier).toBe('l3');
  });

  it('passes over an entry the request cannot use (no usage, or out of the key\'s scope)', async () => {
    const w = world();
    const a = w.isolate();
    await a.fill();
    expect(await a.lookup('acme', { usage: true, region: (r) => r === 'eu-west' })).toBeUndefined();
    expect(await a.lookup('acme', { usage: true, region: (r) => r === 'us-east' })).toBeDefined();
  });

  it('stores the colo entry under a GET URL on the request host, with max-age and no Set-Cookie', async () => {
    const w = world();
    const a = w.isolate();
    await a.fill();
    const key = await a.key();
    const colo = w.colo as ReturnType<typeof fakeColoCache>;
    expect(colo.urls()).toEqual([`https://gateway.test/__switchyard/cache/${key.id}`]);
    const stored = await colo.match(colo.urls()[0] ?? '');
    expect(stored?.headers.get('cache-control')).toBe('max-age=60');
    expect(stored?.headers.has('set-cookie')).toBe(false);
  });

  it('does not store answers larger than maxEntryBytes in any tier', async () => {
    const w = world({ policy: { ...POLICY, maxEntryBytes: 100 } });
    const a = w.isolate();
    await a.fill();
    expect(await a.lookup()).toBeUndefined();
    expect((w.colo as ReturnType<typeof fakeColoCache>).urls()).toEqual([]);
  });
});

describe('a failing tier', () => {
  it('Redis down: lookups and fills go on without it, as misses, and are reported', async () => {
    const w = world({ store: downStore() });
    const a = w.isolate();
    expect(await a.lookup()).toBeUndefined();
    await a.fill();
    expect((await a.lookup())?.tier).toBe('l1');
    expect((await w.isolate().lookup())?.tier).toBe('l2');
    expect(w.errors).toEqual(
      expect.arrayContaining([
        ['l3', 'get'],
        ['l3', 'put'],
      ]),
    );
  });

  it('Cache API failing: falls through to Redis', async () => {
    const w = world({ colo: failingColo() });
    await w.isolate().fill();
    expect((await w.isolate().lookup())?.tier).toBe('l3');
    expect(w.errors).toContainEqual(['l2', 'get']);
  });

  it('a Redis that never answers costs at most the lookup timeout, then is a miss', async () => {
    const w = world({ colo: null, store: hangingStore(), policy: { ...POLICY, l3: { ...POLICY.l3, lookupTimeoutMs: 30 } } });
    const started = performance.now();
    expect(await w.isolate().lookup()).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
    expect(w.errors).toEqual([['l3', 'get']]);
  });
});
