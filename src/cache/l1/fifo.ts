import type { EvictionOrder } from './eviction.ts';
import { first } from './lru.ts';

/** Oldest insert first, whatever was read since. */
export function fifo(): EvictionOrder {
  const order = new Set<string>();
  return {
    added: (key) => void order.add(key),
    used: () => {},
    removed: (key) => void order.delete(key),
    victim: () => first(order),
  };
}
