import type { EvictionPolicy } from '../../fleet/schema.ts';
import { remainingMs, type CacheEntry } from '../entry.ts';
import { EVICTION_ORDERS, type EvictionOrder } from './eviction.ts';

export interface MemoryTierOptions {
  maxBytes: number;
  eviction: EvictionPolicy;
  ttlSeconds: number;
  now: () => number;
}

/** Bookkeeping per entry beyond its strings (map slots, the object, the eviction order's node). */
const ENTRY_OVERHEAD = 96;

/**
 * What an entry costs this tier, in bytes: its strings' lengths (V8 keeps ASCII text at a byte
 * a character; JSON bodies are mostly ASCII) plus a fixed overhead. An estimate, not a heap
 * measurement: it bounds the cache's own data, which is what grows.
 */
export const entryBytes = (key: string, entry: CacheEntry): number => key.length + entry.body.length + entry.region.length + ENTRY_OVERHEAD;

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
    const bytes = entryBytes(key, entry);
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
