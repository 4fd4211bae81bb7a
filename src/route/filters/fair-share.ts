import type { Filter } from '../types.ts';

export const FAIR_SHARE = 'fair-share';

export interface FairShareOptions {
  /** Requests one endpoint takes from this instance before tenants are held to their shares. */
  endpointConcurrency: number;
  weights: Readonly<Record<string, number>>;
  defaultWeight: number;
}

/**
 * Fairness under saturation. Below `endpointConcurrency` in flight an endpoint takes anyone.
 * At or above it, each tenant with requests there (the asking one included) is entitled to
 * endpointConcurrency × its weight ÷ the weights of them all; an endpoint passes only for a
 * tenant still under its share. The flooding tenant is refused (429) while a quiet one gets in.
 */
export const fairShare = (options: FairShareOptions): Filter => {
  const weight = (tenant: string) => options.weights[tenant] ?? options.defaultWeight;
  const cap = options.endpointConcurrency;
  return {
    type: FAIR_SHARE,
    reason: 'every endpoint for this model is at capacity and your tenant already has its share of it',
    filter: (request, candidates, state) => {
      const tenant = request.tenant;
      if (tenant === undefined) return candidates;
      return candidates.filter((c) => {
        const view = state.endpoint(c.endpoint.id);
        if (view.inflight < cap) return true;
        let total = weight(tenant);
        for (const [other, n] of view.tenants) if (other !== tenant && n > 0) total += weight(other);
        return (view.tenants.get(tenant) ?? 0) < (cap * weight(tenant)) / total;
      });
    },
    // A share frees up as soon as one of the tenant's own requests ends: look again shortly.
    retryAfterMs: () => 1_000,
  };
};
