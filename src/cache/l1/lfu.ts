import type { EvictionOrder } from './eviction.ts';
import { first } from './lru.ts';

/**
 * Least frequently used first, the least recently used of those on a tie (O(1): one bucket of
 * keys per use count, each in the order its keys reached that count). An entry's count starts at 1 and counts its hits in this tier.
 * Pure LFU never forgets: an entry hot long ago outlives newer ones until its TTL ends it,
 * which the tier's TTL bounds.
 */
/** A counts-Map slot and a bucket-Set slot (28 + 20 bytes), at up to 4 table slots per live key, as in ENTRY_OVERHEAD. */
const LFU_KEY_OVERHEAD = 192;

export function lfu(): EvictionOrder {
  const counts = new Map<string, number>();
  const buckets = new Map<number, Set<string>>();
  let min = 0;

  const bucket = (count: number) => {
    let set = buckets.get(count);
    if (!set) {
      set = new Set();
      buckets.set(count, set);
    }
    return set;
  };
  const leave = (key: string, count: number) => {
    const set = buckets.get(count);
    set?.delete(key);
    if (set?.size === 0) buckets.delete(count);
  };

  return {
    // A count in one Map and a slot in a bucket Set per key, beyond the one Set slot ENTRY_OVERHEAD allows for.
    keyOverhead: LFU_KEY_OVERHEAD,
    added: (key) => {
      counts.set(key, 1);
      bucket(1).add(key);
      min = 1;
    },
    used: (key) => {
      const count = counts.get(key);
      if (count === undefined) return;
      leave(key, count);
      counts.set(key, count + 1);
      bucket(count + 1).add(key);
      if (min === count && !buckets.has(count)) min = count + 1;
    },
    removed: (key) => {
      const count = counts.get(key);
      if (count === undefined) return;
      counts.delete(key);
      leave(key, count);
      // min is repaired lazily by victim(): removals come from eviction, which asks next anyway.
    },
    victim: () => {
      if (counts.size === 0) return undefined;
      if (!buckets.has(min)) min = Math.min(...buckets.keys());
      return first(buckets.get(min) ?? new Set());
    },
  };
}
