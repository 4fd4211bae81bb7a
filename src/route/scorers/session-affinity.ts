import { fmix32, fnv1a } from '../balancers/hash32.ts';
import type { Scorer } from '../types.ts';

export const SESSION_AFFINITY = 'session-affinity';

/**
 * Keeps a session (`x-session-id`, else the OpenAI `user`) in one region, where its KV cache
 * lives: rendezvous hashing of (session, region) gives the session's home region 1 and the
 * others 0, so losing a region moves only that region's sessions. No session: all 1.
 */
export const sessionAffinityScorer = (): Scorer => ({
  type: SESSION_AFFINITY,
  category: 'affinity',
  scope: 'region',
  readsSession: true,
  score: (request, candidates) => {
    const key = request.sessionKey;
    if (!key) return candidates.map(() => 1);
    const seed = fnv1a(key);
    let best = '';
    let bestHash = -1;
    const regionHash = new Map<string, number>();
    for (const c of candidates) {
      const region = c.region.id;
      if (regionHash.has(region)) continue;
      const h = fmix32(fnv1a(region, seed));
      regionHash.set(region, h);
      if (h > bestHash || (h === bestHash && region < best)) {
        bestHash = h;
        best = region;
      }
    }
    return candidates.map((c) => (c.region.id === best ? 1 : 0));
  },
});
