import type { Filter } from '../types.ts';

export const NOT_SATURATED = 'not-saturated';

/** A vLLM server is full when requests queue up beyond this, or its KV cache is this used. */
export const SATURATION = { waiting: 32, kvCacheUsage: 0.98 } as const;

/**
 * Drops endpoints that are full: they answered 429 / queue full a moment ago (until their
 * Retry-After), or the prober saw a long waiting queue or an exhausted KV cache. This is the
 * auto-scaling pool's spillover: the next region takes the load while the pool scales.
 */
export const notSaturated = (limits: { waiting: number; kvCacheUsage: number } = SATURATION): Filter => ({
  type: NOT_SATURATED,
  stable: true,
  reason: 'every endpoint for this model is saturated (queue full)',
  filter: (_request, candidates, state) =>
    candidates.filter((c) => {
      const view = state.endpoint(c.endpoint.id);
      if (view.saturatedUntil > state.now) return false;
      const h = view.health;
      return !(h && ((h.waiting ?? 0) >= limits.waiting || (h.kvCacheUsage ?? 0) >= limits.kvCacheUsage));
    }),
  // The soonest a mark ends; a queue the prober saw full is looked at again next round.
  retryAfterMs: (_request, dropped, state) =>
    Math.min(
      ...dropped.map((c) => {
        const until = state.endpoint(c.endpoint.id).saturatedUntil;
        return until > state.now ? until - state.now : state.probeIntervalMs;
      }),
    ),
});
