import { remainingMs, type CacheEntry, type CacheKey, type RemoteTier, type TierName } from './entry.ts';
import type { MemoryTier } from './l1/memory-tier.ts';

export interface CacheHit {
  entry: CacheEntry;
  tier: TierName;
}

export interface TieredCacheOptions {
  l1?: MemoryTier;
  /** Slowest last: L2 (colo), then L3 (Redis). */
  remote: readonly RemoteTier[];
  now: () => number;
  /** A tier failed (it counts as a miss); for the log. */
  onError: (tier: TierName, operation: 'get' | 'put', error: unknown) => void;
}

/**
 * L1 → L2 → L3. A hit in a lower tier is promoted into every tier above it (L1 at once, the
 * remote ones through `defer`); a fill writes every tier. Any tier that fails or times out is
 * a miss for that tier, never an error for the request.
 */
export class TieredCache {
  readonly #l1: MemoryTier | undefined;
  readonly #remote: readonly RemoteTier[];
  readonly #now: () => number;
  readonly #onError: TieredCacheOptions['onError'];

  constructor(options: TieredCacheOptions) {
    this.#l1 = options.l1;
    this.#remote = options.remote;
    this.#now = options.now;
    this.#onError = options.onError;
  }

  get tiers(): TierName[] {
    return [...(this.#l1 ? (['l1'] as const) : []), ...this.#remote.map((t) => t.name)];
  }

  /**
   * The first entry, from the fastest tier, that `accept` takes (an entry it refuses is a miss
   * in that tier: a lower one may hold a better one). `defer` runs promotion writes off the
   * response path.
   */
  async lookup(key: CacheKey, accept: (entry: CacheEntry) => boolean, defer: (work: () => Promise<unknown>) => void): Promise<CacheHit | undefined> {
    const near = this.#l1?.get(key.id);
    if (near !== undefined && accept(near)) return { entry: near, tier: 'l1' };
    for (let i = 0; i < this.#remote.length; i++) {
      const tier = this.#remote[i] as RemoteTier;
      let entry: CacheEntry | undefined;
      try {
        entry = await tier.get(key);
      } catch (error) {
        this.#onError(tier.name, 'get', error);
        continue;
      }
      if (entry === undefined || !accept(entry)) continue;
      this.#l1?.set(key.id, entry);
      const above = this.#remote.slice(0, i);
      if (above.length > 0) defer(() => this.#putRemote(above, key, entry));
      return { entry, tier: tier.name };
    }
    return undefined;
  }

  /** Writes a completed answer to every tier ("update all caches"). */
  async fill(key: CacheKey, entry: CacheEntry): Promise<void> {
    this.#l1?.set(key.id, entry);
    await this.#putRemote(this.#remote, key, entry);
  }

  async #putRemote(tiers: readonly RemoteTier[], key: CacheKey, entry: CacheEntry): Promise<void> {
    const now = this.#now();
    await Promise.all(
      tiers.map(async (tier) => {
        const ttlMs = remainingMs(entry, tier.ttlSeconds, now);
        if (ttlMs <= 0) return;
        try {
          await tier.put(key, entry, ttlMs);
        } catch (error) {
          this.#onError(tier.name, 'put', error);
        }
      }),
    );
  }
}
