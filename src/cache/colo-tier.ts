import { remainingMs, type CacheEntry, type CacheKey, type RemoteTier } from './entry.ts';

/**
 * The part of the Workers Cache API the L2 tier uses (`caches.default` or `caches.open(name)`
 * fit it). Node has no such cache: its entry passes none, and there is no L2 there.
 */
export interface ColoCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

const STORED_AT = 'x-switchyard-stored-at';
const REGION = 'x-switchyard-region';
const USAGE = 'x-switchyard-usage';

/**
 * The Cache API stores GET responses by URL, so a POST is cached under a synthetic GET URL on
 * the request's own host (a zone's cache holds its own hostnames) made from the key's hash,
 * which already covers tenant, model and request. The host keeps the URL on the zone.
 */
export const coloUrl = (key: CacheKey): string => {
  const at = key.requestUrl.indexOf('/', key.requestUrl.indexOf('//') + 2);
  const origin = at < 0 ? key.requestUrl : key.requestUrl.slice(0, at);
  return `${origin}/__switchyard/cache/${key.id}`;
};

/**
 * L2: the colo's Cache API (per data centre, shared by every isolate there). Each entry is a
 * response with an explicit max-age (one without Cache-Control is not stored) and never a
 * Set-Cookie (such responses are never stored). The age is checked again on read, so the
 * tier's TTL holds whatever the cache does with max-age.
 */
export function coloTier(cache: ColoCache, ttlSeconds: number, now: () => number): RemoteTier {
  return {
    name: 'l2',
    ttlSeconds,
    async get(key) {
      const response = await cache.match(coloUrl(key));
      if (response === undefined) return undefined;
      const storedAt = Number(response.headers.get(STORED_AT));
      const region = response.headers.get(REGION);
      if (!Number.isFinite(storedAt) || region === null) {
        await response.body?.cancel();
        return undefined;
      }
      const entry: CacheEntry = { body: await response.text(), storedAt, region, usage: response.headers.get(USAGE) === '1' };
      return remainingMs(entry, ttlSeconds, now()) > 0 ? entry : undefined;
    },
    async put(key, entry, ttlMs) {
      const maxAge = Math.max(1, Math.floor(ttlMs / 1000));
      const response = new Response(entry.body, {
        headers: {
          'content-type': 'application/json',
          'cache-control': `max-age=${maxAge}`,
          [STORED_AT]: String(entry.storedAt),
          [REGION]: entry.region,
          [USAGE]: entry.usage ? '1' : '0',
        },
      });
      await cache.put(coloUrl(key), response);
    },
  };
}
