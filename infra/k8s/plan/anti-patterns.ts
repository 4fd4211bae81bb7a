import type { Fleet } from '../../../src/fleet/load.ts';
import { LABEL } from '../../../src/fleet/schema.ts';
import { fleetModels, regionsOf, type FleetModel } from '../fleet-model.ts';
import { cachePolicyOf } from '../render/cache-tiers.ts';

/**
 * The reference's "Anti-Patterns to Avoid", checked against a fleet: single points of failure
 * in production, fixed replicas for variable traffic, no cache, a model in one region only.
 * A fleet says it is production in its RoutingPolicy (`environment`, production by default);
 * a model says its traffic with the switchyard.dev/traffic annotation.
 */
export const ANTI_PATTERNS = ['single-point-of-failure', 'fixed-scaling', 'no-cache', 'single-region'] as const;
export type AntiPatternId = (typeof ANTI_PATTERNS)[number];

export interface AntiPattern {
  id: AntiPatternId;
  model: string;
  message: string;
}

const single = (m: FleetModel) => m.replicas.max <= 1 && (m.pools?.prefill === undefined || m.pools.prefill.replicas <= 1);

export function antiPatterns(fleet: Fleet): AntiPattern[] {
  const production = (fleet.routingPolicies[0]?.spec.environment ?? 'production') === 'production';
  const found: AntiPattern[] = [];
  for (const m of fleetModels(fleet)) {
    const regions = regionsOf(m.resource, fleet).map((r) => r.metadata.name);
    const say = (id: AntiPatternId, message: string) => found.push({ id, model: m.id, message: `${m.id}: ${message}` });
    const spof = production && single(m) && regions.length <= 1;
    if (spof) {
      say('single-point-of-failure', `one instance in one region (${regions.join(', ') || 'none'}) in a production fleet: no redundancy and no failover (anti-pattern 4, "Single Point of Failure"); raise minReplicas or serve it in a second region`);
    }
    if ((m.traffic === 'variable' || m.traffic === 'high') && m.replicas.min === m.replicas.max && m.resource.kind === 'InferenceService') {
      say('fixed-scaling', `fixed replicas (${m.replicas.min}) for ${m.traffic} traffic (anti-pattern 3, "Fixed Scaling"): set maxReplicas above minReplicas with a scaleMetric`);
    }
    let policy;
    try {
      policy = cachePolicyOf(m.resource, fleet);
    } catch {
      policy = undefined; // a CachePolicy named but missing is reported by render; here it is "no cache"
    }
    if (!policy) {
      const why = fleet.cachePolicies.length > 1 ? ` (the fleet has ${fleet.cachePolicies.length}: name one with ${LABEL.cachePolicy})` : '';
      say('no-cache', `no CachePolicy applies${why} (anti-pattern 2, "Ignoring Cache Potential"): vLLM keeps its defaults and no tier is sized`);
    }
    if (production && !spof && regions.length === 1 && fleet.regions.length > 1) {
      say('single-region', `served in ${regions[0]} only: a regional outage takes it down (federation needs a second region to fail over to)`);
    }
  }
  return found;
}
