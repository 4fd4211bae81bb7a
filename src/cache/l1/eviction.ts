import type { EvictionPolicy } from '../../fleet/schema.ts';
import { fifo } from './fifo.ts';
import { lfu } from './lfu.ts';
import { lru } from './lru.ts';

/**
 * The order in which a bounded cache gives entries up. The cache tells it about every insert,
 * hit and removal, and asks it for the next victim when it is over budget. Each is O(1).
 */
export interface EvictionOrder {
  /** Heap bytes the order keeps per key beyond the tier's own entry overhead (counted against the tier's bound). */
  readonly keyOverhead: number;
  added(key: string): void;
  used(key: string): void;
  removed(key: string): void;
  /** The key to evict next; undefined when nothing is tracked. */
  victim(): string | undefined;
}

export const EVICTION_ORDERS = { lru, lfu, fifo } as const satisfies Record<EvictionPolicy, () => EvictionOrder>;
