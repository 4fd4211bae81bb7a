import type { Candidate } from '../types.ts';
import type { Balancer } from './balancer.ts';
import { rotate, sortByKeyDesc } from './pool-order.ts';
import { rotation } from './rotation.ts';

export const LEAST_CONNECTIONS = 'least-connections';

/**
 * Fewest requests in flight (from this isolate) first. The pool is rotated before a stable
 * sort, so endpoints with equal counts take turns instead of the first in the file winning.
 */
export const leastConnections = (): Balancer => {
  const cursor = rotation();
  return {
    type: LEAST_CONNECTIONS,
    order: (pool, ctx) => {
      const out = rotate(pool, cursor.next(pool, ctx.random));
      const keys = new Array<number>(out.length);
      for (let i = 0; i < out.length; i++) keys[i] = -ctx.state.endpoint((out[i] as Candidate).endpoint.id).inflight;
      sortByKeyDesc(out, keys);
      return out;
    },
  };
};
