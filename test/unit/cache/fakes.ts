// Test doubles for the platform tiers: a Cache API stand-in (Map of responses, honouring
// max-age on its own clock, as the colo cache does) and stores that fail or hang.
import type { ColoCache } from '../../../src/cache/colo-tier.ts';
import type { Store } from '../../../src/store/store.ts';

export function fakeColoCache(now: () => number): ColoCache & { urls(): string[]; clear(): void } {
  const entries = new Map<string, { body: string; headers: Headers; expires: number }>();
  return {
    async match(url) {
      const e = entries.get(url);
      if (!e || e.expires <= now()) return undefined;
      return new Response(e.body, { headers: e.headers });
    },
    async put(url, response) {
      const maxAge = /max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '');
      if (!maxAge) return; // the Cache API does not keep a response without Cache-Control
      if (response.headers.has('set-cookie')) throw new Error('a Set-Cookie response is never cached');
      entries.set(url, { body: await response.text(), headers: response.headers, expires: now() + Number(maxAge[1]) * 1000 });
    },
    urls: () => [...entries.keys()],
    clear: () => entries.clear(),
  };
}

const refuse = async (): Promise<never> => {
  throw new Error('connection refused');
};

/** A store whose every call fails, as Upstash does when it cannot be reached. */
export const downStore = (): Store => ({
  kind: 'upstash',
  get: refuse,
  set: refuse,
  del: refuse,
  hget: refuse,
  hset: refuse,
  hdel: refuse,
  hgetall: refuse,
  incrementHashes: refuse,
  hgetallMany: refuse,
});

/** A store that never answers (a black-holed network). */
export function hangingStore(): Store {
  const never = () => new Promise<never>(() => {});
  return { kind: 'upstash', get: never, set: never, del: never, hget: never, hset: never, hdel: never, hgetall: never, incrementHashes: never, hgetallMany: never };
}

export const failingColo = (): ColoCache => ({ match: refuse, put: refuse });
