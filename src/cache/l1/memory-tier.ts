import type { EvictionPolicy } from '../../fleet/schema.ts';
import { remainingMs, type CacheEntry } from '../entry.ts';
import { EVICTION_ORDERS, type EvictionOrder } from './eviction.ts';

export interface MemoryTierOptions {
  maxBytes: number;
  eviction: EvictionPolicy;
  ttlSeconds: number;
  now: () => number;
}

/**
 * What an entry costs beyond its key's and body's characters, in bytes, on a 64-bit V8 without
 * pointer compression, as Node's (with compressed pointers the objects are smaller): the slot and entry objects
 * and its timestamp's heap number (~112), the strings' headers (~32), and the entries Map's and
 * the LRU / FIFO Set's hash tables (28 + 20 bytes a slot). Under churn V8 keeps those tables at 2
 * to 4 slots per live entry (they double past half full, counting deleted slots, and shrink below
 * a quarter): 96–192 bytes, the worst case counted. An order that keeps more per key (LFU) adds
 * its `keyOverhead`. test/unit/cache/l1-footprint.test.ts fills each order and checks the live
 * heap stays within what the tier counts.
 */
export const ENTRY_OVERHEAD = 352;

/** V8 keeps a string whose characters all fit in Latin-1 at a byte each, any other at two. */
const TWO_BYTE = /[^\x00-\xff]/;
const stringBytes = (s: string): number => (TWO_BYTE.test(s) ? 2 * s.length : s.length);

/**
 * What an entry costs this tier, in bytes: its strings as V8 stores them plus the fixed overhead
 * above, so the tier's byte bound is a bound on the heap it holds, not only on its text. (The
 * region id is usually the fleet's own string, shared; one promoted from L3 is parsed anew.)
 */
export const entryBytes = (key: string, entry: CacheEntry, order?: Pick<EvictionOrder, 'keyOverhead'>): number =>
  stringBytes(key) + stringBytes(entry.body) + entry.region.length + ENTRY_OVERHEAD + (order?.keyOverhead ?? 0);

/**
 * L1: this isolate's memory, bounded in bytes, with a TTL and a pluggable eviction order
 * (lru, lfu, fifo). Synchronous: a hit costs a Map lookup.
 */
export class MemoryTier {
  readonly #entries = new Map<string, { entry: CacheEntry; bytes: number }>();
  readonly #order: EvictionOrder;
  readonly #maxBytes: number;
  readonly #ttlSeconds: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: MemoryTierOptions) {
    this.#order = EVICTION_ORDERS[options.eviction]();
    this.#maxBytes = options.maxBytes;
    this.#ttlSeconds = options.ttlSeconds;
    this.#now = options.now;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  get(key: string): CacheEntry | undefined {
    const slot = this.#entries.get(key);
    if (slot === undefined) return undefined;
    if (remainingMs(slot.entry, this.#ttlSeconds, this.#now()) <= 0) {
      this.delete(key);
      return undefined;
    }
    this.#order.used(key);
    return slot.entry;
  }

  /** Stores unless the entry is already too old for this tier or larger than the whole budget. */
  set(key: string, entry: CacheEntry): void {
    const bytes = entryBytes(key, entry, this.#order);
    if (bytes > this.#maxBytes || remainingMs(entry, this.#ttlSeconds, this.#now()) <= 0) return;
    this.delete(key);
    while (this.#bytes + bytes > this.#maxBytes) {
      const victim = this.#order.victim();
      if (victim === undefined) break;
      this.delete(victim);
    }
    this.#entries.set(key, { entry, bytes });
    this.#bytes += bytes;
    this.#order.added(key);
  }

  delete(key: string): void {
    const slot = this.#entries.get(key);
    if (slot === undefined) return;
    this.#entries.delete(key);
    this.#bytes -= slot.bytes;
    this.#order.removed(key);
  }
}
