import type { Candidate } from '../types.ts';
import type { BalanceContext, Balancer } from './balancer.ts';
import { randomIndex, sortByKeyDesc } from './pool-order.ts';

export const P2C_EWMA = 'p2c-ewma';

const known = (latency: number | undefined): latency is number => latency !== undefined && Number.isFinite(latency) && latency >= 0;

/**
 * Cost = latency × (inflight + 1): the expected wait if this request joins the queue. An
 * endpoint without a latency sample yet is costed at the mean of the pool's known latencies
 * (neither favoured nor shunned); with none known, inflight alone decides.
 */
function costs(pool: readonly Candidate[], ctx: BalanceContext): number[] {
  const n = pool.length;
  const cost = new Array<number>(n);
  const latency = new Array<number>(n);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const view = ctx.state.endpoint((pool[i] as Candidate).endpoint.id);
    cost[i] = view.inflight + 1;
    latency[i] = known(view.latencyMs) ? view.latencyMs : -1;
    if (known(view.latencyMs)) {
      sum += view.latencyMs;
      count++;
    }
  }
  const neutral = count > 0 ? sum / count : 1;
  for (let i = 0; i < n; i++) {
    const l = latency[i] as number;
    cost[i] = (cost[i] as number) * (l >= 0 ? l : neutral);
  }
  return cost;
}

/**
 * Power of two choices over peak-EWMA latency: draw two distinct endpoints at random and take
 * the cheaper (the first drawn on a tie). Cheap endpoints win most, yet none is starved of the
 * traffic that refreshes its latency, and isolates with stale views do not all herd onto one
 * "best" endpoint. Order: winner, loser, then the rest by cost, cheapest first.
 */
export const p2cEwma = (): Balancer => ({
  type: P2C_EWMA,
  order: (pool, ctx) => {
    const n = pool.length;
    if (n < 2) return pool.slice();
    const cost = costs(pool, ctx);
    const first = randomIndex(ctx.random, n);
    let second = randomIndex(ctx.random, n - 1);
    if (second >= first) second++;
    const swap = (cost[second] as number) < (cost[first] as number);
    const win = swap ? second : first;
    const lose = swap ? first : second;

    const out = new Array<Candidate>(n);
    const keys = new Array<number>(n);
    out[0] = pool[win] as Candidate;
    out[1] = pool[lose] as Candidate;
    let k = 2;
    for (let i = 0; i < n; i++) {
      if (i === win || i === lose) continue;
      out[k] = pool[i] as Candidate;
      keys[k] = -(cost[i] as number);
      k++;
    }
    sortByKeyDesc(out, keys, 2);
    return out;
  },
});
