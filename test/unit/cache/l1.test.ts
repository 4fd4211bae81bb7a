// L1: byte-bounded isolate memory, each eviction order, TTL on an injected clock.
import { describe, expect, it } from 'vitest';
import type { CacheEntry } from '../../../src/cache/entry.ts';
import { EVICTION_ORDERS } from '../../../src/cache/l1/eviction.ts';
import { entryBytes, MemoryTier } from '../../../src/cache/l1/memory-tier.ts';
import type { EvictionPolicy } from '../../../src/fleet/schema.ts';

const T0 = 1_767_225_600_000;
const entry = (body: string, storedAt = T0): CacheEntry => ({ body, storedAt, region: 'us-east', usage: true });
/** Each test entry costs exactly this many bytes under an eviction order (keys are all two characters, bodies 100). */
const costOf = (eviction: EvictionPolicy) => entryBytes('k0', entry('x'.repeat(100)), EVICTION_ORDERS[eviction]());
const COST = costOf('lru');

function tier(eviction: EvictionPolicy, entries: number, options: { ttlSeconds?: number; clock?: { now: number } } = {}) {
  const clock = options.clock ?? { now: T0 };
  return { clock, l1: new MemoryTier({ maxBytes: costOf(eviction) * entries, eviction, ttlSeconds: options.ttlSeconds ?? 60, now: () => clock.now }) };
}
const put = (l1: MemoryTier, ...keys: string[]) => keys.forEach((k) => l1.set(k, entry('x'.repeat(100))));
const held = (l1: MemoryTier, keys: string[]) => keys.filter((k) => l1.has(k));

describe('L1 eviction orders', () => {
  it.each<[EvictionPolicy, string[]]>([
    // k0 k1 k2 stored, k0 read twice and k1 once, then k3 needs room for one entry:
    ['lru', ['k0', 'k1', 'k3']], // k2 was used least recently
    ['lfu', ['k0', 'k1', 'k3']], // k2 was used least often (1 against 3 and 2)
    ['fifo', ['k1', 'k2', 'k3']], // k0 went in first, however often it was read
  ])('%s evicts the right entry when the byte budget is full', (policy, expected) => {
    const { l1 } = tier(policy, 3);
    put(l1, 'k0', 'k1', 'k2');
    l1.get('k0');
    l1.get('k1');
    l1.get('k0');
    put(l1, 'k3');
    expect(held(l1, ['k0', 'k1', 'k2', 'k3'])).toEqual(expected);
    expect(l1.bytes).toBe(3 * costOf(policy));
  });

  it('lru follows recency, not count: a burst of old reads does not save an entry', () => {
    const { l1 } = tier('lru', 2);
    put(l1, 'aa', 'bb');
    for (let i = 0; i < 5; i++) l1.get('aa');
    l1.get('bb');
    put(l1, 'cc');
    expect(held(l1, ['aa', 'bb', 'cc'])).toEqual(['bb', 'cc']);
  });

  it('lfu follows count, breaking ties by least recent use', () => {
    const { l1 } = tier('lfu', 3);
    put(l1, 'aa', 'bb', 'cc');
    for (let i = 0; i < 5; i++) l1.get('aa');
    l1.get('cc');
    l1.get('bb');
    put(l1, 'dd'); // b and c tie at 2 uses: c was used less recently
    expect(held(l1, ['aa', 'bb', 'cc', 'dd'])).toEqual(['aa', 'bb', 'dd']);
    put(l1, 'ee'); // d has 1 use
    expect(held(l1, ['aa', 'bb', 'cc', 'dd', 'ee'])).toEqual(['aa', 'bb', 'ee']);
  });

  it('lfu keeps its order right after entries are deleted', () => {
    const { l1 } = tier('lfu', 3);
    put(l1, 'aa', 'bb', 'cc');
    l1.get('aa');
    l1.get('bb');
    l1.delete('cc'); // the least used goes without an eviction
    put(l1, 'dd', 'ee'); // d fits, e evicts d (1 use, the only least used)
    expect(held(l1, ['aa', 'bb', 'dd', 'ee'])).toEqual(['aa', 'bb', 'ee']);
  });

  it.each<EvictionPolicy>(['lru', 'lfu', 'fifo'])('%s evicts as many entries as a large one needs, and never exceeds its bytes', (policy) => {
    const { l1 } = tier(policy, 4);
    put(l1, 'aa', 'bb', 'cc', 'dd');
    l1.set('bg', entry('x'.repeat(100 + 2 * costOf(policy))));
    expect(l1.has('bg')).toBe(true); // it costs 3 entries: 3 of the 4 went, oldest / least used first
    expect(l1.size).toBe(2);
    expect(l1.bytes).toBeLessThanOrEqual(4 * costOf(policy));
  });

  it.each<EvictionPolicy>(['lru', 'lfu', 'fifo'])('%s does not store an entry larger than the whole budget (and keeps what it has)', (policy) => {
    const { l1 } = tier(policy, 2);
    put(l1, 'aa');
    l1.set('hg', entry('x'.repeat(3 * costOf(policy))));
    expect(l1.has('hg')).toBe(false);
    expect(l1.has('aa')).toBe(true);
  });

  it('replacing a key frees its old bytes', () => {
    const { l1 } = tier('lru', 2);
    put(l1, 'aa', 'aa', 'aa');
    expect(l1.size).toBe(1);
    expect(l1.bytes).toBe(COST);
  });
});

describe('L1 TTL', () => {
  it('serves an entry until its TTL has passed since the answer was made, then forgets it', () => {
    const { l1, clock } = tier('lru', 4, { ttlSeconds: 10 });
    put(l1, 'aa');
    clock.now = T0 + 9_999;
    expect(l1.get('aa')).toBeDefined();
    clock.now = T0 + 10_000;
    expect(l1.get('aa')).toBeUndefined();
    expect(l1.bytes).toBe(0);
  });

  it('counts the TTL from when the answer was made, not from when it arrived here (promotion)', () => {
    const { l1, clock } = tier('fifo', 4, { ttlSeconds: 10 });
    clock.now = T0 + 8_000;
    l1.set('ol', entry('x', T0)); // made 8 s ago in another tier
    clock.now = T0 + 10_001;
    expect(l1.get('ol')).toBeUndefined();
    l1.set('st', entry('x', T0)); // already older than this tier keeps anything
    expect(l1.has('st')).toBe(false);
  });
});

describe('L1 byte count', () => {
  it('counts a string outside Latin-1 at two bytes a character, as V8 stores it', () => {
    const latin = entryBytes('k0', entry('é'.repeat(100)));
    const wide = entryBytes('k0', entry('素'.repeat(100)));
    expect(wide - latin).toBe(100);
  });

  it('counts what an LFU keeps per key on top (a count and a bucket slot)', () => {
    expect(costOf('lfu')).toBeGreaterThan(costOf('lru'));
    expect(costOf('fifo')).toBe(costOf('lru'));
  });
});
