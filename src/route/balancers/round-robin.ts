import type { Balancer } from './balancer.ts';
import { rotate } from './pool-order.ts';
import { rotation } from './rotation.ts';

export const ROUND_ROBIN = 'round-robin';

/** Each call starts one further along the pool; the fallbacks follow in rotation order. */
export const roundRobin = (): Balancer => {
  const cursor = rotation();
  return {
    type: ROUND_ROBIN,
    order: (pool, ctx) => rotate(pool, cursor.next(pool, ctx.random)),
  };
};
