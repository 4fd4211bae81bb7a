import { fmix32, fnv1a } from '../balancers/hash32.ts';
import { sortByKeyDesc } from '../balancers/pool-order.ts';
import type { Candidate, RouteState, Scorer } from '../types.ts';

export const PREFIX_AFFINITY = 'prefix-affinity';

/**
 * c of consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam): an endpoint
 * takes a prefix's request only while its load stays within c times its share of the pool's.
 * Load balancers use 1.25 for evenness; for cache affinity a looser bound pays when no probe
 * says whether the home is queueing: in the prefix benchmark (bench/RESULTS.md) 1.25 then
 * spilled, at moderate load, prefixes their home could still have served.
 */
export const LOAD_BOUND = 1.5;

const TWO_TO_32 = 4294967296;

/**
 * Which endpoints of a pool may take one more request of a prefix homed there. Closed only when
 * both hold:
 * - over the bound: in flight from this isolate, plus this request, above c times the
 *   endpoint's weighted share of the pool's in-flight total (plus this request). In-flight is
 *   the freshest load there is; with many isolates it is each one's sample of the traffic, and
 *   the bound only compares endpoints, so a sample does;
 * - queueing: the last probe saw requests waiting in vLLM there, or there is no probe. An
 *   endpoint with an empty queue still has batch slots: spilling its prefix would trade a cached
 *   prefill for nothing. The probe is seconds (Node) to a minute (Workers cron) old, which is why
 *   it only gates and does not measure.
 */
export function openToAffinity(pool: readonly Candidate[], state: RouteState, bound: number = LOAD_BOUND): boolean[] {
  const n = pool.length;
  let weights = 0;
  let total = 0;
  for (const c of pool) {
    weights += c.endpoint.weight;
    total += state.endpoint(c.endpoint.id).inflight;
  }
  const open = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const c = pool[i] as Candidate;
    const view = state.endpoint(c.endpoint.id);
    const waiting = view.health?.waiting;
    const queueing = waiting === undefined || waiting > 0;
    open[i] = !queueing || view.inflight + 1 <= Math.ceil(bound * (total + 1) * (c.endpoint.weight / weights));
  }
  return open;
}

/**
 * The endpoint of one region's pool that takes the anchor's request (its index in the pool):
 * the first in the anchor's rendezvous order that is open (openToAffinity). One always is when
 * c >= 1 (not every endpoint can be above its share).
 */
function pickInPool(anchor: number, pool: readonly Candidate[], state: RouteState, bound: number): number {
  const lo = anchor >>> 0;
  const hi = Math.floor(anchor / TWO_TO_32) >>> 0;
  const n = pool.length;
  const order = new Array<number>(n);
  const keys = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const c = pool[i] as Candidate;
    // Weighted rendezvous (as the consistent-hash balancer): u in (0, 1), score -w / ln u.
    const u = (fmix32(fmix32(fnv1a(c.endpoint.id) ^ lo) ^ hi) + 0.5) / TWO_TO_32;
    order[i] = i;
    keys[i] = -c.endpoint.weight / Math.log(u);
  }
  sortByKeyDesc(order, keys);
  const open = openToAffinity(pool, state, bound);
  for (const i of order) if (open[i]) return i;
  return order[0] as number;
}

/**
 * Prefix affinity without shared state: the request's prefix anchor (computed beforehand by the
 * data producer in src/route/prefix/, so this scorer hashes nothing but endpoint ids) is
 * rendezvous-hashed over each region's pool, so every isolate sends one prefix to the same
 * "home" endpoint, where vLLM's prefix cache holds its KV blocks, and different prefixes spread
 * evenly. Bounded load: when the home is over LOAD_BOUND times its share of the pool's load
 * and queueing (openToAffinity), the next endpoint in the prefix's rendezvous order takes the
 * request (every spill of one prefix goes the same way, so the second endpoint warms to it too).
 *
 * Scores per region: the chosen endpoint 1, every other 0, so the choice survives being summed
 * with other scorers of lower weight (the picker orders a pool by total when this scorer's
 * scores differ; see region-pool-picker.ts). Each region has its own home, so prefix affinity
 * never pulls a request to another region: geo, cost and session affinity decide that.
 * No prefix (short prompt, or affinity off): every candidate 0, neutral.
 */
export const prefixAffinityScorer = (options: { loadBound?: number } = {}): Scorer => {
  const bound = options.loadBound ?? LOAD_BOUND;
  if (!(bound >= 1)) throw new Error(`prefix-affinity: loadBound must be >= 1 (got ${bound})`);
  return {
    type: PREFIX_AFFINITY,
    category: 'affinity',
    score: (request, candidates, state) => {
      const scores = new Array<number>(candidates.length).fill(0);
      const anchor = request.prefix?.anchor;
      if (anchor === undefined) return scores;
      const regions = new Map<string, number[]>();
      for (let i = 0; i < candidates.length; i++) {
        const id = (candidates[i] as Candidate).region.id;
        const members = regions.get(id);
        if (members) members.push(i);
        else regions.set(id, [i]);
      }
      for (const members of regions.values()) {
        const pick = pickInPool(anchor, members.map((i) => candidates[i] as Candidate), state, bound);
        scores[members[pick] as number] = 1;
      }
      return scores;
    },
  };
};
