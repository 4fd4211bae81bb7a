import type { EvictionOrder } from './eviction.ts';
import { first } from './lru.ts';

/** Oldest insert first, whatever was read since. */
export function fifo(): EvictionOrder {
  const order = new Set<string>();
  return {
    keyOverhead: 0, // one Set slot, within ENTRY_OVERHEAD
    added: (key) => void order.add(key),
    used: () => {},
    removed: (key) => void order.delete(key),
    victim: () => first(order),
  };
}
