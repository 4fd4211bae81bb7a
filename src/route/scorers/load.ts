import type { Scorer } from '../types.ts';
import { lowerIsBetter } from './min-max.ts';

export const LOAD = 'load';

/**
 * Queue depth: requests waiting and running on the vLLM server (from /metrics) plus this
 * isolate's own in-flight requests, which are fresher than any probe. Shortest queue 1,
 * longest 0, all equal 1.
 */
export const loadScorer = (): Scorer => ({
  type: LOAD,
  category: 'distribution',
  score: (_request, candidates, state) =>
    lowerIsBetter(
      candidates.map((c) => {
        const view = state.endpoint(c.endpoint.id);
        return (view.health?.waiting ?? 0) + (view.health?.running ?? 0) + view.inflight;
      }),
      1,
    ),
});
