import { describe, expect, it } from 'vitest';
import { ERROR_RATE_FLOOR, ERROR_RATE_PRIOR, ERROR_RATE_TAU_MS, errorRateAt, observeOutcome, type DecayedOutcomes } from '../../../src/route/error-rate.ts';
import { ERROR_RATE_CUTOFF, errorRateScore, errorRateScorer } from '../../../src/route/scorers/error-rate.ts';
import { UNKNOWN_ENDPOINT } from '../../../src/route/endpoint-view.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import type { Candidate, RouteRequest, RouteState } from '../../../src/route/types.ts';
import { candidatesOf, localFleet, routeRequest } from '../core/fixtures.ts';

/** `n` outcomes `stepMs` apart, every `every`-th a failure (0: none). */
function outcomes(n: number, every: number, stepMs: number, from = 0): DecayedOutcomes | undefined {
  let o: DecayedOutcomes | undefined;
  for (let i = 0; i < n; i++) o = observeOutcome(o, every > 0 && i % every === every - 1, from + i * stepMs);
  return o;
}

describe('decayed error rate', () => {
  it('is 0 with no outcomes or no failures', () => {
    expect(errorRateAt(undefined, 0)).toBe(0);
    expect(errorRateAt(outcomes(100, 0, 10), 1_000)).toBe(0);
  });

  it('approaches the share of failures under steady traffic', () => {
    // 1 in 3 failing, 100 a second for a minute: the prior is small beside ~1,000 decayed outcomes.
    const o = outcomes(6_000, 3, 10);
    expect(errorRateAt(o, 60_000)).toBeCloseTo(1 / 3, 2);
  });

  it('reads a lone failure on a quiet endpoint through the prior, not as 100 %', () => {
    const o = observeOutcome(undefined, true, 5_000);
    expect(errorRateAt(o, 5_000)).toBeCloseTo(1 / (1 + ERROR_RATE_PRIOR), 10);
  });

  it('forgets with time alone: a failing endpoint left without traffic falls below the floor', () => {
    const o = outcomes(300, 3, 10); // 3 s at 30 % failures
    const at = (ms: number) => errorRateAt(o, 3_000 + ms);
    expect(at(0)).toBeGreaterThan(0.25);
    expect(at(ERROR_RATE_TAU_MS)).toBeLessThan(at(0));
    expect(at(ERROR_RATE_TAU_MS)).toBeGreaterThan(ERROR_RATE_FLOOR);
    expect(at(8 * ERROR_RATE_TAU_MS)).toBeLessThan(ERROR_RATE_FLOOR);
  });

  it('recovers faster when successes follow than with time alone', () => {
    const failing = outcomes(300, 3, 10);
    let o = failing;
    for (let i = 0; i < 100; i++) o = observeOutcome(o, false, 3_000 + i * 10);
    expect(errorRateAt(o, 4_000)).toBeLessThan(0.8 * errorRateAt(failing, 4_000));
  });

  it('weighs outcomes by time, not by count: a burst and a trickle with the same share read alike', () => {
    const burst = outcomes(1_000, 4, 1); // 1,000 in 1 s
    const trickle = outcomes(10, 4, 100); // 10 in 1 s
    expect(errorRateAt(burst, 1_000)).toBeCloseTo(0.25, 1);
    expect(errorRateAt(trickle, 1_000)).toBeLessThan(0.25); // fewer outcomes: the prior weighs more
    expect(errorRateAt(trickle, 1_000)).toBeGreaterThan(0.1);
  });

  it('holds its estimate when the clock stands still or steps back', () => {
    const o = observeOutcome(observeOutcome(undefined, true, 10_000), false, 9_000);
    expect(o.at).toBe(10_000);
    expect(o.total).toBe(2);
    expect(errorRateAt(o, 5_000)).toBeCloseTo(1 / (2 + ERROR_RATE_PRIOR), 10);
  });
});

describe('errorRateScore', () => {
  it('is 1 up to the floor, 0 from the cutoff, linear and decreasing between', () => {
    expect(errorRateScore(0)).toBe(1);
    expect(errorRateScore(ERROR_RATE_FLOOR)).toBe(1);
    expect(errorRateScore(ERROR_RATE_CUTOFF)).toBe(0);
    expect(errorRateScore(0.9)).toBe(0);
    expect(errorRateScore(0.3)).toBeCloseTo(0.42, 2);
    expect(errorRateScore(0.1)).toBeGreaterThan(errorRateScore(0.2));
  });

  it('stays in 0..1 on any input', () => {
    for (const x of [Number.NaN, -1, Infinity, -Infinity, 1e-9, 0.49999]) {
      const s = errorRateScore(x);
      expect(s >= 0 && s <= 1).toBe(true);
    }
  });
});

describe('errorRateScorer', () => {
  const fleet = localFleet();
  const llama = candidatesOf(fleet, 'llama-3.1-8b');
  const request: RouteRequest = routeRequest(fleet, 'llama-3.1-8b');
  const stateWith = (rates: Record<string, number>, failing: boolean): RouteState => ({
    now: 0,
    probeIntervalMs: 60_000,
    failing,
    endpoint: (id) => ({ ...UNKNOWN_ENDPOINT, errorRate: rates[id] ?? 0 }),
  });
  const id = (c: Candidate) => c.endpoint.id;

  it('scores each candidate by its own error rate, aligned with the input', () => {
    const rates = { [id(llama[2] as Candidate)]: 0.3, [id(llama[3] as Candidate)]: 0.6 };
    const scores = errorRateScorer().score(request, llama, stateWith(rates, true));
    expect(scores).toEqual([1, 1, errorRateScore(0.3), 0]);
  });

  it('is flat (left out by the pipeline) while no endpoint is failing', () => {
    const scorer = errorRateScorer();
    expect(scorer.flat?.(stateWith({}, false))).toBe(true);
    expect(scorer.flat?.({ now: 0, probeIntervalMs: 1, endpoint: () => UNKNOWN_ENDPOINT })).toBe(true);
    expect(scorer.flat?.(stateWith({}, true))).toBe(false);
  });
});

describe('the error rate in LiveState', () => {
  const ids = ['a', 'b'];
  it('comes from the outcomes the breaker counts, per endpoint, and is forgotten with time', () => {
    const live = new LiveState(ids);
    expect(live.view(0).failing).toBe(false);
    for (let i = 0; i < 10; i++) {
      if (i % 3 === 0) live.failed('a', i * 100);
      else live.succeeded('a', 50, i * 100);
    }
    const view = live.view(1_000);
    expect(view.failing).toBe(true);
    expect(view.endpoint('a').errorRate).toBeGreaterThan(0.2);
    expect(view.endpoint('b').errorRate).toBe(0);
    // Long quiet: below the floor, the scorer falls flat again.
    const later = live.view(1_000 + 10 * ERROR_RATE_TAU_MS);
    expect(later.endpoint('a').errorRate).toBeLessThan(ERROR_RATE_FLOOR);
    expect(later.failing).toBe(false);
  });

  it('counts a stream cut after its headers (a body failure) like any failure', () => {
    const live = new LiveState(ids);
    live.answered('a', 30, 0);
    live.failed('a', 10, true);
    expect(live.view(10).endpoint('a').errorRate).toBeCloseTo(1 / (1 + ERROR_RATE_PRIOR), 10);
  });

  it('keeps nothing for an endpoint outside the fleet', () => {
    const live = new LiveState(ids);
    live.failed('elsewhere', 0);
    expect(live.view(0).failing).toBe(false);
    expect(live.view(0).endpoint('elsewhere').errorRate).toBe(0);
  });
});
