import type { Candidate } from '../types.ts';
import { randomIndex } from './pool-order.ts';

/** A cursor over a pool whose membership may change between calls. */
export interface Rotation {
  /** The index to start from this call: the successor of the previous call's start. */
  next(pool: readonly Candidate[], random: () => number): number;
}

/**
 * Remembers the last start by id (and where it stood), so a member leaving the pool neither
 * repeats nor skips anyone: if the last start left, whoever took its index is its successor.
 * The first call starts at random: a Worker runs many isolates, and if each began at index 0
 * the first endpoint of every pool would take the lion's share of light traffic.
 */
export const rotation = (): Rotation => {
  let lastId: string | undefined;
  let lastIndex = 0;
  return {
    next(pool, random) {
      const n = pool.length;
      if (n === 0) return 0;
      let start: number;
      if (lastId === undefined) start = randomIndex(random, n);
      else if (pool[lastIndex]?.endpoint.id === lastId) start = (lastIndex + 1) % n;
      else {
        start = lastIndex % n;
        for (let i = 0; i < n; i++) {
          if ((pool[i] as Candidate).endpoint.id === lastId) {
            start = (i + 1) % n;
            break;
          }
        }
      }
      lastId = (pool[start] as Candidate).endpoint.id;
      lastIndex = start;
      return start;
    },
  };
};
