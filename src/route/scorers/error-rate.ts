import { ERROR_RATE_FLOOR } from '../error-rate.ts';
import type { Scorer } from '../types.ts';

export const ERROR_RATE = 'error-rate';

/** At this rate an endpoint scores 0: the circuit breaker's error ratio, where it leaves rotation anyway. */
export const ERROR_RATE_CUTOFF = 0.5;

/**
 * The scorer's weight in a profile that does not name it: twice the other scorers' weights
 * together (at least 1). At 30 % errors (score 0.42) an endpoint then loses more than the other
 * scorers can give it, so it gets no first pick while a healthy peer exists; at 5 % it loses a
 * fifth of their span.
 */
export const defaultErrorRateWeight = (otherWeights: number): number => Math.max(1, 2 * otherWeights);

/** 1 at or below the floor, 0 at or above the cutoff, linear between: 30 % errors score 0.42. */
export function errorRateScore(rate: number): number {
  if (!(rate > ERROR_RATE_FLOOR)) return 1;
  if (rate >= ERROR_RATE_CUTOFF) return 0;
  return 1 - (rate - ERROR_RATE_FLOOR) / (ERROR_RATE_CUTOFF - ERROR_RATE_FLOOR);
}

/**
 * Recent failures: each endpoint's decayed share of failed outcomes (LiveState keeps it beside
 * the circuit breaker, fed by the same outcomes, so failures caused by a request's own body do
 * not count). The breaker takes an endpoint out at 50 % errors; below that this steers load
 * away in proportion, and the share comes back as the failures decay. While no endpoint's rate
 * is above the floor every candidate would score 1, so the pipeline leaves the scorer out
 * (`flat`): a healthy fleet keeps region-scoped scoring.
 */
export const errorRateScorer = (): Scorer => ({
  type: ERROR_RATE,
  category: 'balance',
  flat: (state) => !state.failing,
  score: (_request, candidates, state) => candidates.map((c) => errorRateScore(state.endpoint(c.endpoint.id).errorRate)),
});
