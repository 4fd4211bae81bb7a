import type { EdgeCacheSpec, EvictionPolicy } from '../fleet/schema.ts';
import { parseBytes, parseDuration } from './units.ts';

/**
 * The edge response cache as the gateway runs it: the `edge` section of the fleet's
 * CachePolicy with every default filled in and every unit converted. Plain data (it is part
 * of the compiled fleet the Worker bundles).
 */
export interface EdgeCachePolicy {
  enabled: boolean;
  /** The CachePolicy it came from; absent when the built-in defaults apply. */
  source?: string;
  /** Cache requests that are not deterministic (no temperature 0, no seed) too. */
  cacheNonDeterministic: boolean;
  /** Larger answers are not stored in any tier (and a stream stops being collected past it). */
  maxEntryBytes: number;
  /** Isolate memory, bounded in bytes. */
  l1: { enabled: boolean; maxBytes: number; eviction: EvictionPolicy; ttlSeconds: number };
  /** The colo's Cache API (Workers only); size and eviction are Cloudflare's. */
  l2: { enabled: boolean; ttlSeconds: number };
  /** Redis (Upstash); size and eviction are the database's (maxmemory-policy / Upstash eviction). */
  l3: { enabled: boolean; ttlSeconds: number; lookupTimeoutMs: number };
}

/**
 * Used when the fleet has no CachePolicy with an `edge` section: deterministic requests only,
 * a small L1 (a Worker isolate has 128 MB in all), an hour in the colo, a day in Redis.
 */
export const DEFAULT_EDGE_CACHE: EdgeCachePolicy = {
  enabled: true,
  cacheNonDeterministic: false,
  maxEntryBytes: 1024 * 1024,
  l1: { enabled: true, maxBytes: 16 * 1024 * 1024, eviction: 'lru', ttlSeconds: 300 },
  l2: { enabled: true, ttlSeconds: 3600 },
  l3: { enabled: true, ttlSeconds: 86_400, lookupTimeoutMs: 250 },
};

// The schema has already checked every value parses; the fallbacks only satisfy the types.
const seconds = (v: string | number | undefined, fallback: number) => (v === undefined ? fallback : (parseDuration(v) ?? fallback));
const bytes = (v: string | number | undefined, fallback: number) => (v === undefined ? fallback : (parseBytes(v) ?? fallback));

export function edgeCachePolicy(spec: EdgeCacheSpec | undefined, source?: string): EdgeCachePolicy {
  const d = DEFAULT_EDGE_CACHE;
  if (spec === undefined) return d;
  return {
    enabled: spec.enabled ?? d.enabled,
    ...(source === undefined ? {} : { source }),
    cacheNonDeterministic: spec.cacheNonDeterministic ?? d.cacheNonDeterministic,
    maxEntryBytes: bytes(spec.maxEntryBytes, d.maxEntryBytes),
    l1: {
      enabled: spec.l1?.enabled ?? d.l1.enabled,
      maxBytes: bytes(spec.l1?.maxBytes, d.l1.maxBytes),
      eviction: spec.l1?.eviction ?? d.l1.eviction,
      ttlSeconds: seconds(spec.l1?.ttl, d.l1.ttlSeconds),
    },
    l2: { enabled: spec.l2?.enabled ?? d.l2.enabled, ttlSeconds: seconds(spec.l2?.ttl, d.l2.ttlSeconds) },
    l3: {
      enabled: spec.l3?.enabled ?? d.l3.enabled,
      ttlSeconds: seconds(spec.l3?.ttl, d.l3.ttlSeconds),
      lookupTimeoutMs: Math.ceil(seconds(spec.l3?.lookupTimeout, d.l3.lookupTimeoutMs / 1000) * 1000),
    },
  };
}
