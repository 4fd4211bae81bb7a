import type { Candidate } from '../types.ts';
import type { Balancer } from './balancer.ts';
import { fmix32, fnv1a } from './hash32.ts';
import { sortByKeyDesc } from './pool-order.ts';
import { roundRobin } from './round-robin.ts';

export const CONSISTENT_HASH = 'consistent-hash';

const TWO_TO_32 = 4294967296;

/**
 * Weighted rendezvous score of an endpoint for a key state: u = hash(key, id) mapped into
 * (0, 1), score = -weight / ln(u), so an endpoint wins with probability weight / Σweight.
 * With equal weights this ranks exactly as the plain hash does.
 */
const score = (keyState: number, c: Candidate): number => {
  const u = (fmix32(fnv1a(c.endpoint.id, keyState)) + 0.5) / TWO_TO_32;
  return -c.endpoint.weight / Math.log(u);
};

/**
 * Rendezvous (highest-random-weight) hashing of (session key, endpoint id): the same session
 * lands on the same endpoint in every isolate, and an endpoint leaving the pool moves only its
 * own sessions, each to its next-ranked endpoint. The whole HRW ranking is the fallback order.
 * Stateless for keyed requests; a request without a session key has nothing to stick to and
 * is balanced by round robin instead.
 */
export const consistentHash = (): Balancer => {
  const unkeyed = roundRobin();
  return {
    type: CONSISTENT_HASH,
    order: (pool, ctx) => {
      if (!ctx.sessionKey) return unkeyed.order(pool, ctx);
      // A NUL after the key keeps ("ab", "c") and ("a", "bc") apart.
      const keyState = fnv1a('\0', fnv1a(ctx.sessionKey));
      const out = pool.slice();
      const keys = new Array<number>(out.length);
      for (let i = 0; i < out.length; i++) keys[i] = score(keyState, out[i] as Candidate);
      sortByKeyDesc(out, keys);
      return out;
    },
  };
};
