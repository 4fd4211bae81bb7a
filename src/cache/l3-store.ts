import { Redis } from '@upstash/redis/cloudflare';
import type { StoreEnv } from '../store/select-store.ts';
import type { Store } from '../store/store.ts';
import { UpstashStore } from '../store/upstash-store.ts';

/**
 * The store behind L3: Upstash when it is configured, else none (an in-memory store is the
 * isolate's own memory, which L1 already is, without L1's byte bound). Its own client, with
 * retries off: the Upstash client retries a failed call five times with growing backoff (about
 * 4 s in all), right for a key lookup, wrong for a cache that should just miss.
 */
export function cacheStoreFromEnv(env: StoreEnv): Store | undefined {
  const url = env.UPSTASH_REDIS_REST_URL || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN || undefined;
  if (url === undefined || token === undefined) return undefined;
  return new UpstashStore(new Redis({ url, token, automaticDeserialization: false, enableTelemetry: false, retry: false, enableAutoPipelining: false }), token);
}
