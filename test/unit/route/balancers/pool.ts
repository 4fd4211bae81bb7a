// Test support for the balancers: pools of fake endpoints, a live-view stub and a seeded generator.
import { seededRandom as seeded } from '../../../../infra/local/sim/hash.ts';
import type { CompiledRegion } from '../../../../src/fleet/compiled.ts';
import type { BalanceContext, Balancer } from '../../../../src/route/balancers/balancer.ts';
import { UNKNOWN_ENDPOINT, type EndpointView } from '../../../../src/route/endpoint-view.ts';
import type { Candidate, RouteState } from '../../../../src/route/types.ts';

export { seeded };

const region: CompiledRegion = {
  id: 'us-east',
  residency: 'us',
  location: { latitude: 39, longitude: -77, continent: 'NA' },
  pricing: { inputPerMillionTokensUsd: 0.1, outputPerMillionTokensUsd: 0.2 },
};

export const endpoint = (id: string, weight = 1): Candidate => ({
  endpoint: { id, model: 'm', region: region.id, baseUrl: `http://${id}/v1`, pathStyle: 'v1', weight, backend: 'vllm' },
  region,
});

/** A pool of endpoints by id, all of weight 1 unless given as `id:weight`. */
export const pool = (...ids: string[]): Candidate[] =>
  ids.map((spec) => {
    const [id, weight] = spec.split(':');
    return endpoint(id as string, weight === undefined ? 1 : Number(weight));
  });

export const ids = (list: readonly Candidate[]) => list.map((c) => c.endpoint.id);

/** A route state whose endpoints have the given views (the rest are unknown). */
export function stateOf(views: Readonly<Record<string, Partial<EndpointView>>> = {}): RouteState {
  return { now: 0, probeIntervalMs: 60_000, endpoint: (id) => ({ ...UNKNOWN_ENDPOINT, ...views[id] }) };
}


export const context = (extra: Partial<BalanceContext> = {}): BalanceContext => ({
  state: extra.state ?? stateOf(),
  sessionKey: extra.sessionKey,
  random: extra.random ?? seeded(1),
});

/** The first pick of each of `calls` calls, in order. */
export function picks(balancer: Balancer, list: readonly Candidate[], ctx: BalanceContext, calls: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < calls; i++) out.push(balancer.order(list, ctx)[0]?.endpoint.id ?? '-');
  return out;
}

/** How often each id occurs. */
export function tally(list: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of list) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

/** The longest run of the same id in a row. */
export function longestRun(list: readonly string[], id: string): number {
  let best = 0;
  let run = 0;
  for (const x of list) {
    run = x === id ? run + 1 : 0;
    if (run > best) best = run;
  }
  return best;
}
