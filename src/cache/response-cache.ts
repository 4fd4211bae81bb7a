import type { Endpoint } from '../api/schemas.ts';
import { afterResponse } from '../after-response.ts';
import type { Store } from '../store/store.ts';
import { assembleJson, assembleSse } from './assemble.ts';
import { decide, type CacheDecision } from './cacheable.ts';
import { CopyBudget, StreamCollector } from './collect.ts';
import { coloTier, type ColoCache } from './colo-tier.ts';
import type { CacheEntry, CacheKey, RemoteTier, TierName } from './entry.ts';
import { keyMaterial, webCryptoSha256, type KeyParts, type Sha256 } from './key.ts';
import { MemoryTier } from './l1/memory-tier.ts';
import type { EdgeCachePolicy } from './policy.ts';
import { storeTier } from './store-tier.ts';
import { TieredCache, type CacheHit } from './tiered-cache.ts';

/** What a runtime gives the cache besides its policy: the platform's L2 and L3, if it has them. */
export interface ResponseCacheDeps {
  policy: EdgeCachePolicy;
  /** L2, the colo's Cache API: Workers only. */
  colo?: ColoCache;
  /** L3, a store every instance shares (Upstash Redis). An isolate-local store is not an L3. */
  store?: Store;
  sha256?: Sha256;
  now?: () => number;
  /** A tier failed (the request went on as a miss). */
  onError?: (tier: TierName, operation: 'get' | 'put', error: unknown) => void;
  /** What all cacheable streams in flight may hold in copies at once (default STREAM_COPY_BUDGET_BYTES). */
  streamCopyBudgetBytes?: number;
}

/** Copies of cacheable streams in flight, all together: an eighth of a Worker isolate's 128 MB. */
export const STREAM_COPY_BUDGET_BYTES = 16 * 1024 * 1024;

export interface Wanted {
  /** The reply needs usage (non-streamed, or `stream_options.include_usage`). */
  usage: boolean;
  /** Whether the key may be served an answer made in this region (its region / residency scope). */
  region(id: string): boolean;
}

/**
 * The edge response cache of one gateway: which requests take part (cacheable.ts), their keys
 * (key.ts), the tiers (L1 memory, L2 colo, L3 Redis) and turning a completed answer, streamed
 * or not, into the entry every tier stores.
 */
export class ResponseCache {
  readonly policy: EdgeCachePolicy;
  readonly tiers: TieredCache;
  readonly #sha256: Sha256;
  readonly #now: () => number;
  readonly #copies: CopyBudget;

  constructor(deps: ResponseCacheDeps) {
    const { policy } = deps;
    const now = deps.now ?? Date.now;
    this.policy = policy;
    this.#sha256 = deps.sha256 ?? webCryptoSha256;
    this.#copies = new CopyBudget(deps.streamCopyBudgetBytes ?? STREAM_COPY_BUDGET_BYTES);
    this.#now = now;
    const remote: RemoteTier[] = [];
    if (deps.colo && policy.l2.enabled) remote.push(coloTier(deps.colo, policy.l2.ttlSeconds, now));
    if (deps.store && policy.l3.enabled) remote.push(storeTier(deps.store, { ttlSeconds: policy.l3.ttlSeconds, lookupTimeoutMs: policy.l3.lookupTimeoutMs, now }));
    this.tiers = new TieredCache({
      ...(policy.l1.enabled ? { l1: new MemoryTier({ maxBytes: policy.l1.maxBytes, eviction: policy.l1.eviction, ttlSeconds: policy.l1.ttlSeconds, now }) } : {}),
      remote,
      now,
      onError: deps.onError ?? ((tier, operation, error) => console.error(JSON.stringify({ cache: tier, operation, error: String(error) }))),
    });
  }

  /** `cacheControl` is read only when the request could be cached at all. */
  decide(request: Readonly<Record<string, unknown>>, cacheControl: () => string | undefined): CacheDecision {
    return decide(this.policy, request, cacheControl);
  }

  async key(parts: KeyParts, requestUrl: string): Promise<CacheKey> {
    return { id: await this.#sha256(keyMaterial(parts)), requestUrl };
  }

  lookup(key: CacheKey, wanted: Wanted, defer: (work: () => Promise<unknown>) => void): Promise<CacheHit | undefined> {
    return this.tiers.lookup(key, (entry) => (!wanted.usage || entry.usage) && wanted.region(entry.region), defer);
  }

  /**
   * Collects a stream for `fillFromStream`; capped well above maxEntryBytes (SSE framing is
   * several times the text), and all collectors together within the isolate's copy budget. Call
   * `discard()` on one whose stream will not be stored.
   */
  collector(): StreamCollector {
    return new StreamCollector(this.policy.maxEntryBytes * 4, this.#copies);
  }

  /** Bytes the stream copies in flight hold now. */
  get streamCopyBytes(): number {
    return this.#copies.used;
  }

  /**
   * After a completed non-streamed miss (deferred). The bytes are decoded at once (they become
   * the response body, which the runtime then owns); the parse waits until the response has gone.
   */
  fillFromJson(key: CacheKey, bytes: Uint8Array, region: string): Promise<void> {
    if (bytes.length > this.policy.maxEntryBytes) return Promise.resolve();
    const text = new TextDecoder().decode(bytes);
    return afterResponse().then(() => this.#fill(key, assembleJson(text), region));
  }

  /** After a stream the relay saw complete (deferred, and parsed once its last bytes have gone). */
  fillFromStream(key: CacheKey, collected: StreamCollector, kind: Endpoint, region: string): Promise<void> {
    return afterResponse().then(() => {
      const text = collected.text();
      return this.#fill(key, text === undefined ? undefined : assembleSse(text, kind), region);
    });
  }

  async #fill(key: CacheKey, assembled: { body: string; usage: boolean } | undefined, region: string): Promise<void> {
    if (assembled === undefined || assembled.body.length > this.policy.maxEntryBytes) return;
    const entry: CacheEntry = { body: assembled.body, storedAt: this.#now(), region, usage: assembled.usage };
    await this.tiers.fill(key, entry);
  }
}

/** The cache, or none when the policy turns it off or no tier is left on. */
export function createResponseCache(deps: ResponseCacheDeps): ResponseCache | undefined {
  if (!deps.policy.enabled) return undefined;
  const cache = new ResponseCache(deps);
  return cache.tiers.tiers.length > 0 ? cache : undefined;
}
