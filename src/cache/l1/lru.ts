import type { EvictionOrder } from './eviction.ts';

/** Least recently used first: a Set keeps insertion order, and a hit re-inserts its key at the end. */
export function lru(): EvictionOrder {
  const order = new Set<string>();
  return {
    keyOverhead: 0, // one Set slot, within ENTRY_OVERHEAD
    added: (key) => void order.add(key),
    used: (key) => {
      if (order.delete(key)) order.add(key);
    },
    removed: (key) => void order.delete(key),
    victim: () => first(order),
  };
}

export function first(set: ReadonlySet<string>): string | undefined {
  for (const key of set) return key;
  return undefined;
}
