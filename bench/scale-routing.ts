// Routing alone, in this process: what planning one request's route costs as the fleet grows,
// without HTTP around it. The gateway's own parts (buildGateway: candidates, pipeline, live
// state) over the scale benchmark's fleets, a health snapshot that lists every endpoint as up and
// serving, and per request what routeOrRefuse and the forwarder do: a live view, planRoute, the
// pick. Pure CPU on one core, so the steadiest figure a shared machine gives.
import { performance } from 'node:perf_hooks';
import type { KeyVerifier } from '../src/auth/bearer-auth.ts';
import { compileFleet } from '../src/fleet/compile.ts';
import { parseFleet } from '../src/fleet/load.ts';
import type { LoadBalancer } from '../src/fleet/schema.ts';
import { buildGateway } from '../src/gateway.ts';
import type { HealthSnapshot } from '../src/health/snapshot.ts';
import { planRoute } from '../src/route/pipeline.ts';
import type { RouteRequest } from '../src/route/types.ts';
import { median } from './lib/stats.ts';

/** A routing policy to plan under: scorer weights, and the load balancer ordering each pool. */
export interface RoutingPolicy {
  readonly weights: Readonly<Record<string, number>>;
  readonly loadBalancing: LoadBalancer;
}

export interface RoutingRow {
  size: number;
  policy: RoutingPolicy;
  /** µs per request: view + plan + pick. */
  us: number;
}

const NO_KEYS: KeyVerifier = { verify: async () => null } as unknown as KeyVerifier;

function planner(fleetYaml: string, policy: RoutingPolicy) {
  const compiled = compileFleet(parseFleet(fleetYaml, 'bench/scale'));
  const fleet = { ...compiled, routing: { ...compiled.routing, weights: policy.weights }, models: compiled.models.map((m) => ({ ...m, loadBalancing: policy.loadBalancing })) };
  const gw = buildGateway({ fleet, keys: NO_KEYS, transport: async () => Promise.reject(new Error('no upstream here')), secret: () => undefined, metrics: false });
  const model = fleet.models[0];
  if (!model) throw new Error('the scale fleet has no model');
  const candidates = gw.candidates.get(model.id) ?? [];
  const snapshot: HealthSnapshot = { takenAt: 0, endpoints: Object.fromEntries(fleet.endpoints.map((e) => [e.id, { healthy: true, waiting: 0, running: 1, kvCacheUsage: 0.2, served: [model.id], checkedAt: 0 }])) };
  const request: RouteRequest = { model, key: {}, tenant: 'bench', caller: undefined, capability: 'chat' };
  let now = 1_000_000;
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const plan = planRoute(gw.pipeline, request, candidates, gw.live.view(now++, snapshot));
      if (!plan.ok || plan.ranking.first() === undefined) throw new Error(`no route: ${plan.reason}`);
    }
  };
}

/** µs per routed request for each fleet (its YAML by size) and routing policy; `rounds` interleaved, medians. */
export function measureRouting(fleets: ReadonlyMap<number, string>, policies: readonly RoutingPolicy[], rounds: number, perRound = 20_000): RoutingRow[] {
  const cases = [...fleets].flatMap(([size, yaml]) => policies.map((policy) => ({ size, policy, run: planner(yaml, policy), samples: [] as number[] })));
  for (const c of cases) c.run(perRound); // warm-up: compiled code, filter passes, balancers
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const started = performance.now();
      c.run(perRound);
      c.samples.push(((performance.now() - started) * 1000) / perRound);
    }
  }
  return cases.map((c) => ({ size: c.size, policy: c.policy, us: median(c.samples) }));
}
