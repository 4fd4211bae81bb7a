import type { Store } from '../store/store.ts';
import { remainingMs, type CacheEntry, type RemoteTier } from './entry.ts';

export const L3_PREFIX = 'switchyard:cache:';

/**
 * Value layout: one header line `<storedAt> <usage 0|1> <region>`, then the body as is (no
 * second JSON encoding of a JSON body).
 */
export function encodeEntry(entry: CacheEntry): string {
  return `${entry.storedAt} ${entry.usage ? 1 : 0} ${entry.region}\n${entry.body}`;
}

export function decodeEntry(value: string): CacheEntry | undefined {
  const newline = value.indexOf('\n');
  if (newline < 0) return undefined;
  const [storedAt, usage, region] = value.slice(0, newline).split(' ');
  const at = Number(storedAt);
  if (!Number.isFinite(at) || region === undefined || region === '') return undefined;
  return { body: value.slice(newline + 1), storedAt: at, region, usage: usage === '1' };
}

class LookupTimeout extends Error {
  override name = 'LookupTimeout';
}

/**
 * L3: Redis (Upstash), shared by every colo. Each entry expires with the tier's TTL (Redis PX,
 * counted from when the answer was made). Size and eviction are the database's: every entry has
 * a TTL, so volatile-first policies (Upstash's eviction, Redis volatile-lru/lfu) give cache
 * entries up before key records, which have none. A lookup that takes longer than
 * `lookupTimeoutMs` counts as a miss: a slow Redis must not hold the request up.
 */
export function storeTier(store: Store, options: { ttlSeconds: number; lookupTimeoutMs: number; now: () => number }): RemoteTier {
  return {
    name: 'l3',
    ttlSeconds: options.ttlSeconds,
    async get(key) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new LookupTimeout(`no answer within ${options.lookupTimeoutMs} ms`)), options.lookupTimeoutMs);
      });
      try {
        const value = await Promise.race([store.get(L3_PREFIX + key.id), timeout]);
        const entry = value === null ? undefined : decodeEntry(value);
        return entry && remainingMs(entry, options.ttlSeconds, options.now()) > 0 ? entry : undefined;
      } finally {
        clearTimeout(timer);
      }
    },
    async put(key, entry, ttlMs) {
      await store.set(L3_PREFIX + key.id, encodeEntry(entry), { ttlSeconds: ttlMs / 1000 });
    },
  };
}
