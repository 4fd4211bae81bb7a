import type { Filter } from '../types.ts';

export const HEALTHY = 'healthy';

/**
 * Drops endpoints the prober saw failing /health and endpoints whose circuit breaker is open.
 * No probe data is not a failure: an endpoint nobody has checked yet stays in. A half-open
 * breaker stays in so one probe request can close it again.
 */
export const healthy = (): Filter => ({
  type: HEALTHY,
  stable: true,
  reason: 'every endpoint for this model is down (failed health checks or an open circuit breaker)',
  filter: (_request, candidates, state) =>
    candidates.filter((c) => {
      const view = state.endpoint(c.endpoint.id);
      return view.health?.healthy !== false && view.breaker !== 'open';
    }),
  // The soonest an open breaker lets a probe through; a failed health check is redone next round.
  retryAfterMs: (_request, dropped, state) =>
    Math.min(
      ...dropped.map((c) => {
        const view = state.endpoint(c.endpoint.id);
        const breaker = view.breaker === 'open' ? Math.max(0, view.breakerRetryAt - state.now) : 0;
        return view.health?.healthy === false ? Math.max(breaker, state.probeIntervalMs) : breaker;
      }),
    ),
});
