// Every map the request path fills per key, per session, per tenant or per endpoint has a bound:
// each is driven here with 100,000 unique keys, as a flood of unique requests would, and must stay
// within it. The whole gateway under the same floods, RSS sampled, is `npm run bench -- flood`;
// the list of maps and their bounds is in SECURITY.md.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { webCryptoSha256 } from '../../../src/cache/key.ts';
import { MemoryTier } from '../../../src/cache/l1/memory-tier.ts';
import type { EvictionPolicy } from '../../../src/fleet/schema.ts';
import { CircuitBreakers } from '../../../src/health/circuit-breaker.ts';
import { SaturationMarks } from '../../../src/health/saturation.ts';
import { BoundedMap } from '../../../src/limits/bounded-map.ts';
import { MemoryCounters } from '../../../src/limits/memory-counters.ts';
import { Metrics } from '../../../src/observe/metrics/metrics.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { HashIncrements } from '../../../src/store/store.ts';
import { TtlMemo } from '../../../src/store/ttl-memo.ts';
import { CountingStore } from '../../support/counting-store.ts';
import { servedRecord } from '../observe/fixtures.ts';

const FLOOD = 100_000;
const T0 = 1_767_225_600_000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
/** Live heap after full collections, in bytes. */
function liveHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('L1 (per request key) under 100,000 unique cacheable answers', () => {
  const answer = (i: number) => `{"id":"chatcmpl-${i}","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`;

  it.each<EvictionPolicy>(['lru', 'lfu', 'fifo'])('%s: stays within its byte bound, evicting as it goes', (eviction) => {
    const maxBytes = 1024 * 1024;
    const l1 = new MemoryTier({ maxBytes, eviction, ttlSeconds: 300, now: () => T0 });
    let most = 0;
    for (let i = 0; i < FLOOD; i++) {
      l1.set(`key-${i}`.padEnd(64, '0'), { body: answer(i), storedAt: T0, region: 'us-east', usage: true });
      most = Math.max(most, l1.bytes);
    }
    expect(most).toBeLessThanOrEqual(maxBytes);
    expect(l1.size).toBeLessThan(maxBytes / 200);
    expect(l1.has(`key-${FLOOD - 1}`.padEnd(64, '0'))).toBe(true);
  });

  it("holds about what it counts in real heap, with the Web Crypto keys a Worker's cache uses", async () => {
    // The bound is on the bytes L1 counts; what it really holds must be near that, or a 16 MiB L1
    // takes a multiple of it from a 128 MB isolate. (A key built by `+=` 32 times is a rope of 32
    // string pieces, about 2 KiB, where its 64 characters are 64 bytes.)
    const maxBytes = 4 * 1024 * 1024;
    const l1 = new MemoryTier({ maxBytes, eviction: 'lru', ttlSeconds: 300, now: () => T0 });
    const before = liveHeap();
    for (let i = 0; i < 30_000; i++) l1.set(await webCryptoSha256(`request ${i}`), { body: answer(i), storedAt: T0, region: 'us-east', usage: true });
    const grown = liveHeap() - before;
    expect(l1.bytes).toBeLessThanOrEqual(maxBytes);
    expect(grown).toBeLessThan(maxBytes + 64 * 1024); // within its count (test/unit/cache/l1-footprint.test.ts)
  });
});

describe('per-key memories under 100,000 unique keys', () => {
  it('TtlMemo (key records, unknown keys, tenant records, budget reads) never holds more than its bound', () => {
    const memo = new TtlMemo<true>(60_000, 10_000, () => T0);
    for (let i = 0; i < FLOOD; i++) memo.set(`hash-${i}`, true);
    expect(memo.size).toBe(10_000);
    expect(memo.get('hash-0')).toBeUndefined();
    expect(memo.get(`hash-${FLOOD - 1}`)).toBe(true);
  });

  it('the negative cache of unknown keys is bounded: the oldest unknown key is asked again, the newest is not', async () => {
    const store = new CountingStore(new MemoryStore());
    const keys = new ApiKeys(store, { unknownTtlMs: 60_000, unknownMaxEntries: 1_000, memoTtlMs: 0, now: () => T0 });
    const unknown = (i: number) => `sy-${i.toString(36).padStart(8, '0')}${'x'.repeat(32)}`;
    for (let i = 0; i < FLOOD; i++) expect(await keys.verify(unknown(i))).toBeNull();
    expect(store.hgets).toBe(FLOOD);
    await keys.verify(unknown(FLOOD - 1));
    expect(store.hgets).toBe(FLOOD); // remembered
    await keys.verify(unknown(0));
    expect(store.hgets).toBe(FLOOD + 1); // evicted long ago
    }, 60_000);

  it('the negative cache at its default bound holds about what its keys are (hashes from Web Crypto, as on Workers)', async () => {
    const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0, now: () => T0 });
    const unknown = (i: number) => `sy-${i.toString(36).padStart(8, '0')}${'y'.repeat(32)}`;
    for (let i = 0; i < 20_000; i++) await keys.verify(unknown(i)); // fills the default 10,000 entries
    const before = liveHeap();
    for (let i = 20_000; i < FLOOD; i++) await keys.verify(unknown(i));
    // 10,000 hashes of 64 characters and their entries: well under 4 MiB (a rope per hash was ~20 MiB).
    expect(Math.abs(liveHeap() - before)).toBeLessThan(4 * 1024 * 1024);
    const fresh = new ApiKeys(new MemoryStore(), { memoTtlMs: 0, now: () => T0 });
    const empty = liveHeap();
    for (let i = 0; i < 10_000; i++) await fresh.verify(unknown(i));
    expect(liveHeap() - empty).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);

  it('BoundedMap (the rate limiter library’s per-identifier cache, limiters per limit value) drops its oldest at the bound', () => {
    const map = new BoundedMap<string, number>(10_000);
    for (let i = 0; i < FLOOD; i++) map.set(`id-${i}`, i);
    expect(map.size).toBe(10_000);
    expect(map.has('id-0')).toBe(false);
    expect(map.get(`id-${FLOOD - 1}`)).toBe(FLOOD - 1);
  });

  it('in-memory limit counters (windows, concurrency slots, budgets per key and tenant) forget the oldest ids past their bound', async () => {
    const counters = new MemoryCounters({ maxEntries: 1_000, now: () => T0 });
    for (let i = 0; i < FLOOD; i++) {
      await counters.take(`key-${i}`, 10, 1);
      await counters.acquire(`key-${i}`, 1, 'lease', 60_000);
      await counters.spend(`tenant-${i}`, { microUsd: 1, tokens: 1 }, 3_600);
    }
    // The first id was evicted from every map (a fresh window, a free slot, nothing spent); the last one is held.
    expect((await counters.take('key-0', 10, 1)).remaining).toBe(9);
    expect((await counters.acquire('key-0', 1, 'other', 60_000)).allowed).toBe(true);
    expect((await counters.acquire(`key-${FLOOD - 1}`, 1, 'other', 60_000)).allowed).toBe(false);
    expect(await counters.spent(['tenant-0', `tenant-${FLOOD - 1}`])).toEqual([
      { microUsd: 0, tokens: 0 },
      { microUsd: 1, tokens: 1 },
    ]);
  });
});

describe('per-endpoint state under 100,000 unique tenants and unknown endpoint ids', () => {
  it('LiveState keeps a tenant only while it has a request in flight', () => {
    const live = new LiveState(['us/a', 'us/b']);
    for (let i = 0; i < FLOOD; i++) live.begin(i % 2 === 0 ? 'us/a' : 'us/b', `tenant-${i}`)();
    const held = [];
    for (let i = 0; i < 64; i++) held.push(live.begin('us/a', `tenant-${i}`));
    const state = live.view(T0);
    expect(state.endpoint('us/a').tenants.size).toBe(64);
    expect(state.endpoint('us/b').tenants.size).toBe(0);
    for (const end of held) end();
    expect(live.view(T0).endpoint('us/a').tenants.size).toBe(0);
  });

  it('LiveState, breakers and saturation marks ignore ids outside the fleet (nothing is added for them)', () => {
    const live = new LiveState(['us/a']);
    const breakers = new CircuitBreakers(['us/a']);
    const marks = new SaturationMarks(['us/a']);
    const before = liveHeap();
    for (let i = 0; i < FLOOD; i++) {
      const id = `forged/${i}`;
      live.begin(id, `tenant-${i}`)();
      live.failed(id, T0);
      breakers.record(id, 'failure', T0);
      marks.mark(id, T0, '30');
    }
    // 100,000 entries of any of these would be megabytes; nothing was kept.
    expect(liveHeap() - before).toBeLessThan(1024 * 1024);
    expect(live.view(T0).endpoint('forged/1').inflight).toBe(0);
    expect(marks.saturatedUntil('forged/1')).toBe(0);
    expect(breakers.state('forged/1', T0)).toBe('closed');
  });
});

describe('metrics deltas under 100,000 unique tenants while the store is down', () => {
  it('hold at most their field bound, whatever the number of series', async () => {
    class DownForWrites extends MemoryStore {
      override async incrementHashes(_writes: readonly HashIncrements[]): Promise<void> {
        throw new Error('store unreachable');
      }
    }
    const maxFields = 200;
    const metrics = new Metrics({ store: new DownForWrites({ now: () => T0 }), flushMs: 3_600_000, maxFields });
    const held = async () => {
      const minutes = await metrics.minutes(T0 - 60_000, T0 + 60_000);
      const hours = await metrics.usage('1h', T0 - 3_600_000, T0 + 3_600_000);
      return [...minutes.values(), ...hours.values()].reduce((n, fields) => n + fields.size, 0);
    };
    const errors = console.error;
    console.error = () => {};
    let most = 0;
    try {
      for (let i = 0; i < FLOOD; i++) {
        // The 1-hour write window never comes (its timer does not hold the process): only the bound forces writes.
        const forced = metrics.observe(servedRecord({ startedAt: T0 - 300, tenant: `tenant-${i}`, keyId: `key-${i}` }), 'chat', 200, undefined, T0);
        // A forced write fails at once (the store is down); the window's write would wait an hour.
        if (forced) await Promise.race([forced, new Promise((r) => setImmediate(r))]);
        if (i % 997 === 0) most = Math.max(most, await held());
      }
    } finally {
      console.error = errors;
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(maxFields + 60);
  }, 90_000);
});

describe('the embedded store under 100,000 unique expiring keys', () => {
  it('sweeps expired entries as writes go on: it never holds more than about twice the live keys', async () => {
    const clock = { now: T0 };
    const store = new MemoryStore({ now: () => clock.now });
    let most = 0;
    for (let i = 0; i < FLOOD; i++) {
      await store.set(`switchyard:flood:${i}`, 'x', { ttlSeconds: 1 });
      clock.now += 1; // 1,000 keys alive at any time
      most = Math.max(most, store.size);
    }
    expect(most).toBeLessThanOrEqual(4 * 1_024);
  });
});
