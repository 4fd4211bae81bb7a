import type { Candidate } from '../types.ts';
import type { Balancer } from './balancer.ts';
import { sortByKeyDesc } from './pool-order.ts';

export const WEIGHTED_ROUND_ROBIN = 'weighted-round-robin';

/** An endpoint's smooth-WRR current weight, and the call that last saw it in the pool. */
interface Slot {
  current: number;
  seen: number;
}

/**
 * nginx's smooth weighted round robin over `endpoint.weight`: each call adds every weight to
 * its current weight, picks the highest (the first on ties) and takes the total off it. Over a
 * cycle each endpoint gets exactly its share, interleaved (5,1,1 → a a b a c a a).
 * Fallbacks follow by current weight, highest first: the order the next calls would pick in.
 *
 * Current weights are kept by endpoint id, so a member leaving or joining the pool leaves the
 * others' progress alone; ids absent from a call are dropped, so the map never outgrows the pool.
 */
export const weightedRoundRobin = (): Balancer => {
  const slots = new Map<string, Slot>();
  let call = 0;
  return {
    type: WEIGHTED_ROUND_ROBIN,
    order: (pool) => {
      const n = pool.length;
      if (n === 0) return [];
      call++;
      const out = new Array<Candidate>(n);
      const keys = new Array<number>(n);
      let total = 0;
      let best = 0;
      for (let i = 0; i < n; i++) {
        const c = pool[i] as Candidate;
        let slot = slots.get(c.endpoint.id);
        if (slot === undefined) {
          slot = { current: 0, seen: call };
          slots.set(c.endpoint.id, slot);
        }
        slot.seen = call;
        slot.current += c.endpoint.weight;
        total += c.endpoint.weight;
        out[i] = c;
        keys[i] = slot.current;
        if (slot.current > (keys[best] as number)) best = i;
      }
      (slots.get((out[best] as Candidate).endpoint.id) as Slot).current -= total;

      // The pick goes first; the rest keep their (pre-pick) order for a stable sort.
      const picked = out[best] as Candidate;
      for (let i = best; i > 0; i--) {
        out[i] = out[i - 1] as Candidate;
        keys[i] = keys[i - 1] as number;
      }
      out[0] = picked;
      sortByKeyDesc(out, keys, 1);

      if (slots.size > n) for (const [id, slot] of slots) if (slot.seen !== call) slots.delete(id);
      return out;
    },
  };
};
