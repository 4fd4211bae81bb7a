import { BALANCERS, type Balancer } from './balancers/balancer.ts';
import { sortByKeyDesc } from './balancers/pool-order.ts';
import { PREFIX_AFFINITY } from './scorers/prefix-affinity.ts';
import type { Picker, RouteRequest, RouteState, Scored } from './types.ts';

export const REGION_POOL = 'region-pool';

/** Whether prefix-affinity scored the members of a pool unequally (it is weighted and the request has a prefix). */
function prefixScoresDiffer(pool: readonly Scored[]): boolean {
  const first = pool[0]?.parts[PREFIX_AFFINITY];
  return pool.some((m) => m.parts[PREFIX_AFFINITY] !== first);
}

/**
 * Two levels, as a federation is built: regions are ranked by their best candidate's total
 * score (ties at random), then each region's pool is ordered by the model's load balancer
 * (round robin, least connections, weighted round robin, consistent hashing, P2C). The result
 * is the pick followed by every fallback, nearest region first.
 *
 * One exception inside a pool: when the members' prefix-affinity scores differ, the scorer knows
 * which endpoint holds the request's prompt prefix and the balancer cannot, so the pool is
 * ordered by total score, highest first, the balancer's order breaking ties. Without a prefix
 * (equal scores) the balancer alone orders the pool, as before.
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

  return {
    type: REGION_POOL,
    get pools() {
      return balancers.size;
    },
    pick(scored: readonly Scored[], state: RouteState, request: RouteRequest): readonly Scored[] {
      const regions = new Map<string, { best: number; tie: number; members: Scored[] }>();
      for (const s of scored) {
        const id = s.candidate.region.id;
        const group = regions.get(id);
        if (group) {
          group.members.push(s);
          if (s.total > group.best) group.best = s.total;
        } else {
          regions.set(id, { best: s.total, tie: random(), members: [s] });
        }
      }
      const ordered = [...regions.entries()].sort(([, a], [, b]) => b.best - a.best || a.tie - b.tie);
      const ranked: Scored[] = [];
      const ctx = { state, sessionKey: request.sessionKey, random };
      for (const [region, group] of ordered) {
        if (group.members.length === 1) {
          ranked.push(group.members[0] as Scored);
          continue;
        }
        const byEndpoint = new Map(group.members.map((m) => [m.candidate.endpoint.id, m]));
        const pool: Scored[] = [];
        for (const candidate of balancerFor(request, region).order(group.members.map((m) => m.candidate), ctx)) {
          const member = byEndpoint.get(candidate.endpoint.id);
          if (member) pool.push(member);
        }
        if (prefixScoresDiffer(pool)) sortByKeyDesc(pool, pool.map((m) => m.total));
        ranked.push(...pool);
      }
      return ranked;
    },
  };
}
