import { BALANCERS, type BalanceContext, type Balancer } from './balancers/balancer.ts';
import { sortByKeyDesc } from './balancers/pool-order.ts';
import { groupScored } from './region-groups.ts';
import { ERROR_RATE } from './scorers/error-rate.ts';
import { PREFIX_AFFINITY } from './scorers/prefix-affinity.ts';
import type { Candidate, Picker, Ranking, RouteRequest, RouteState, Scored, ScoredRegion } from './types.ts';

export const REGION_POOL = 'region-pool';

/**
 * Whether a scorer that knows something the balancer cannot scored the members of a pool
 * unequally: prefix-affinity (which endpoint holds the prompt's prefix) or error-rate (which
 * one has been failing).
 */
function scoresOverruleBalancer(pool: readonly Scored[]): boolean {
  const first = pool[0]?.parts;
  return pool.some((m) => m.parts[PREFIX_AFFINITY] !== first?.[PREFIX_AFFINITY] || m.parts[ERROR_RATE] !== first?.[ERROR_RATE]);
}

/** One region's pool in its order; entries are made as they are read. */
interface OrderedPool {
  readonly length: number;
  at(j: number): Scored;
}

/** A pool whose members all scored the same (region-scoped scorers only): one shared score, entries made on demand. */
class UniformPool implements OrderedPool {
  readonly #order: readonly Candidate[];
  readonly #total: number;
  readonly #parts: Readonly<Record<string, number>>;
  readonly #made: Scored[] = [];

  constructor(order: readonly Candidate[], total: number, parts: Readonly<Record<string, number>>) {
    this.#order = order;
    this.#total = total;
    this.#parts = parts;
  }

  get length(): number {
    return this.#order.length;
  }

  at(j: number): Scored {
    return (this.#made[j] ??= { candidate: this.#order[j] as Candidate, total: this.#total, parts: this.#parts });
  }
}

const listPool = (list: readonly Scored[]): OrderedPool => ({ length: list.length, at: (j) => list[j] as Scored });

/**
 * The ranking of the region-pool picker: regions in rank order, each region's pool ordered by
 * its balancer only when the walk reaches it (most requests never leave the first region, so
 * the fallbacks' pools are never ordered, nor their entries made).
 */
class PoolRanking implements Ranking {
  readonly size: number;
  readonly #regions: readonly ScoredRegion[];
  readonly #pools: (OrderedPool | undefined)[];
  readonly #order: (region: ScoredRegion) => OrderedPool;
  #whole: readonly Scored[] | undefined;

  constructor(regions: readonly ScoredRegion[], order: (region: ScoredRegion) => OrderedPool) {
    this.#regions = regions;
    this.#pools = new Array<OrderedPool | undefined>(regions.length);
    this.#order = order;
    let size = 0;
    for (const r of regions) size += r.members.length;
    this.size = size;
  }

  #pool(i: number): OrderedPool {
    let pool = this.#pools[i];
    if (pool === undefined) this.#pools[i] = pool = this.#order(this.#regions[i] as ScoredRegion);
    return pool;
  }

  first(): Scored | undefined {
    return this.#regions.length > 0 ? this.#pool(0).at(0) : undefined;
  }

  toArray(): readonly Scored[] {
    if (this.#whole === undefined) {
      const whole: Scored[] = [];
      for (const s of this) whole.push(s);
      this.#whole = whole;
    }
    return this.#whole;
  }

  *[Symbol.iterator](): Iterator<Scored> {
    for (let i = 0; i < this.#regions.length; i++) {
      const pool = this.#pool(i);
      for (let j = 0; j < pool.length; j++) yield pool.at(j);
    }
  }
}

/**
 * Two levels, as a federation is built: regions are ranked by their best candidate's total
 * score (ties at random), then each region's pool is ordered by the model's load balancer
 * (round robin, least connections, weighted round robin, consistent hashing, P2C). The result
 * is the pick followed by every fallback, nearest region first.
 *
 * One exception inside a pool: when the members' prefix-affinity scores differ (the scorer knows
 * which endpoint holds the request's prompt prefix and the balancer cannot) or their error-rate
 * scores do (one has been failing), the pool is ordered by total score, highest first, the
 * balancer's order breaking ties. Otherwise (equal scores) the balancer alone orders the pool.
 *
 * A pool is ordered when the ranking is read that far (`rank`): its balancer moves on only for
 * requests that reach it.
 */
export function regionPoolPicker(random: () => number = Math.random): Picker & { readonly pools: number } {
  // One balancer per (model, region) pool, for the isolate's life: bounded by the fleet.
  const balancers = new Map<string, Balancer>();
  const balancerFor = (request: RouteRequest, region: string) => {
    const key = `${request.model.id}\u0000${region}`;
    let balancer = balancers.get(key);
    if (!balancer) {
      balancer = BALANCERS[request.model.loadBalancing]();
      balancers.set(key, balancer);
    }
    return balancer;
  };

  const orderPool = (group: ScoredRegion, request: RouteRequest, ctx: BalanceContext): OrderedPool => {
    const { members, each } = group;
    if (members.length === 1) return each === undefined ? new UniformPool(members, group.best, group.parts) : listPool(each);
    const ordered = balancerFor(request, group.region.id).order(members, ctx);
    if (each === undefined) return new UniformPool(ordered, group.best, group.parts);
    const byEndpoint = new Map(each.map((m) => [m.candidate.endpoint.id, m]));
    const pool: Scored[] = [];
    for (const candidate of ordered) {
      const member = byEndpoint.get(candidate.endpoint.id);
      if (member) pool.push(member);
    }
    if (scoresOverruleBalancer(pool)) sortByKeyDesc(pool, pool.map((m) => m.total));
    return listPool(pool);
  };

  const rank = (regions: readonly ScoredRegion[], state: RouteState, request: RouteRequest): Ranking => {
    const ties = regions.map(() => random());
    // Best total first, ties by their draw; an insertion sort, stable: regions are a handful.
    const ordered: ScoredRegion[] = [];
    const drawn: number[] = [];
    for (let i = 0; i < regions.length; i++) {
      const region = regions[i] as ScoredRegion;
      const tie = ties[i] as number;
      let j = ordered.length;
      while (j > 0 && (region.best > (ordered[j - 1] as ScoredRegion).best || (region.best === (ordered[j - 1] as ScoredRegion).best && tie < (drawn[j - 1] as number)))) j--;
      ordered.splice(j, 0, region);
      drawn.splice(j, 0, tie);
    }
    const ctx: BalanceContext = { state, sessionKey: request.sessionKey, random };
    return new PoolRanking(ordered, (group) => orderPool(group, request, ctx));
  };

  return {
    type: REGION_POOL,
    get pools() {
      return balancers.size;
    },
    rank,
    pick: (scored, state, request) => rank(groupScored(scored), state, request).toArray(),
  };
}
