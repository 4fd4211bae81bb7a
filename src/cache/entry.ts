/**
 * One cached answer, the same in every tier: the final completion object (`chat.completion`
 * or `text_completion`, as JSON text) whether the answer was streamed or not, so either kind
 * of request can be answered from it (replay.ts).
 */
export interface CacheEntry {
  /** The completion object as JSON text: a non-streamed hit sends it as is. */
  readonly body: string;
  /** When the upstream answered (ms since the epoch). Every tier's TTL counts from here, promotions included. */
  readonly storedAt: number;
  /** The region whose endpoint produced the answer (x-switchyard-region of a hit, and the key-scope check). */
  readonly region: string;
  /** Whether `body` carries usage: a stream without `include_usage` has none to store. */
  readonly usage: boolean;
}

export type TierName = 'l1' | 'l2' | 'l3';

/** Where a request is looked up: the key's hash, and the request URL (the Cache API keys by URL). */
export interface CacheKey {
  readonly id: string;
  readonly requestUrl: string;
}

/** A tier behind I/O (the colo cache, Redis): failures throw, and the tiered cache turns them into misses. */
export interface RemoteTier {
  readonly name: Exclude<TierName, 'l1'>;
  readonly ttlSeconds: number;
  get(key: CacheKey): Promise<CacheEntry | undefined>;
  /** Stores for `ttlMs` (what is left of the tier's TTL since `entry.storedAt`). */
  put(key: CacheKey, entry: CacheEntry, ttlMs: number): Promise<void>;
}

/** Milliseconds the entry may still live in a tier with this TTL (≤ 0: it is too old for it). */
export const remainingMs = (entry: CacheEntry, ttlSeconds: number, now: number): number => entry.storedAt + ttlSeconds * 1000 - now;
