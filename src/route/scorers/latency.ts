import type { Scorer } from '../types.ts';
import { lowerIsBetter } from './min-max.ts';

export const LATENCY = 'latency';

/**
 * Observed responsiveness: peak-EWMA of time to response headers. Fastest 1, slowest 0, all
 * equal 1. An endpoint with no samples yet scores 1, so new or recovered endpoints get tried
 * instead of starving behind ones with a known number.
 */
export const latencyScorer = (): Scorer => ({
  type: LATENCY,
  category: 'balance',
  score: (_request, candidates, state) => lowerIsBetter(candidates.map((c) => state.endpoint(c.endpoint.id).latencyMs), 1),
});
