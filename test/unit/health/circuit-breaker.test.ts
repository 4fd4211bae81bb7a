import { describe, expect, it } from 'vitest';
import { BREAKER_DEFAULTS, CircuitBreakers } from '../../../src/health/circuit-breaker.ts';
import { SlidingWindow } from '../../../src/health/sliding-window.ts';
import type { BreakerState } from '../../../src/route/endpoint-view.ts';

const ID = 'us-east/llama/0';

// A step drives one breaker at time `at` (ms): record an outcome, or ask allow(); then the
// state is checked. Unchecked fields are not asserted.
type Step =
  | { at: number; record: 'success' | 'failure'; times?: number; expect?: BreakerState }
  | { at: number; allow: boolean; expect?: BreakerState }
  | { at: number; expect: BreakerState };

interface Case {
  name: string;
  options?: ConstructorParameters<typeof CircuitBreakers>[1];
  steps: Step[];
}

const fail = (at: number, times = 1, expect?: BreakerState): Step => ({ at, record: 'failure', times, ...(expect ? { expect } : {}) });
const ok = (at: number, times = 1, expect?: BreakerState): Step => ({ at, record: 'success', times, ...(expect ? { expect } : {}) });

const CASES: Case[] = [
  {
    name: 'closed → open on 5 consecutive failures',
    steps: [fail(0, 4, 'closed'), fail(1, 1, 'open'), { at: 2, allow: false }],
  },
  {
    name: 'a success resets the consecutive count',
    steps: [fail(0, 4), ok(1), fail(2, 4, 'closed'), fail(3, 1, 'open')],
  },
  {
    name: 'closed → open on error ratio ≥ 0.5 over ≥ 10 requests',
    // S F S F S F S F S: 9 requests, 4 failures, never 5 in a row; the 10th is the 5th failure.
    steps: [ok(0), fail(100), ok(200), fail(300), ok(400), fail(500), ok(600), fail(700), ok(800, 1, 'closed'), fail(900, 1, 'open')],
  },
  {
    name: 'NOT open on a high ratio below the minimum request count',
    options: { consecutiveFailures: 100 },
    steps: [ok(0), fail(1, 8, 'closed'), { at: 2, allow: true }],
  },
  {
    name: 'NOT open when the ratio stays under the threshold',
    options: { consecutiveFailures: 100 },
    steps: [ok(0, 11), fail(1, 10, 'closed'), fail(2, 1, 'open')],
  },
  {
    name: 'window buckets expire: old failures no longer count',
    options: { consecutiveFailures: 100 },
    // 9 failures at t=0 then 3 successes 10 s later: the failures left the window, 0/3.
    steps: [fail(0, 9, 'closed'), ok(10_000, 3, 'closed'), fail(10_100, 1, 'closed'), { at: 10_200, expect: 'closed' }],
  },
  {
    name: 'failures spread inside the window still add up',
    options: { consecutiveFailures: 100 },
    steps: [ok(0, 2), fail(0), fail(3_000, 3), fail(6_000, 3, 'closed'), fail(9_999, 1, 'open')],
  },
  {
    name: 'open → half-open after the cooldown; half-open admits exactly one probe',
    steps: [
      fail(0, 5, 'open'),
      { at: 4_999, allow: false, expect: 'open' },
      { at: 5_000, expect: 'half-open' },
      { at: 5_000, allow: true, expect: 'open' },
      { at: 5_001, allow: false },
      { at: 5_002, allow: false, expect: 'open' },
    ],
  },
  {
    name: 'half-open success → closed',
    steps: [fail(0, 5), { at: 5_000, allow: true }, ok(5_100, 1, 'closed'), { at: 5_101, allow: true }, { at: 5_102, allow: true }],
  },
  {
    name: 'closed after a probe, the old failures are forgotten',
    steps: [fail(0, 5), { at: 5_000, allow: true }, ok(5_100), fail(5_200, 4, 'closed'), fail(5_300, 1, 'open')],
  },
  {
    name: 'half-open failure → open with a doubled cooldown',
    steps: [
      fail(0, 5),
      { at: 5_000, allow: true },
      fail(5_100, 1, 'open'),
      { at: 15_099, expect: 'open' },
      { at: 15_100, expect: 'half-open' },
      { at: 15_100, allow: true },
      fail(15_200, 1, 'open'),
      { at: 35_199, expect: 'open' },
      { at: 35_200, expect: 'half-open' },
    ],
  },
  {
    name: 'the cooldown doubles up to its cap',
    options: { cooldownMs: 1_000, maxCooldownMs: 3_000 },
    steps: [
      fail(0, 5),
      { at: 1_000, allow: true }, fail(1_000), // 2 s
      { at: 3_000, allow: true }, fail(3_000), // 3 s (capped from 4)
      { at: 6_000, allow: true }, fail(6_000), // 3 s
      { at: 8_999, expect: 'open' },
      { at: 9_000, expect: 'half-open' },
    ],
  },
  {
    name: 'the cooldown resets when it closes',
    options: { cooldownMs: 1_000 },
    steps: [
      fail(0, 5),
      { at: 1_000, allow: true }, fail(1_000), // re-opened: 2 s
      { at: 3_000, allow: true }, ok(3_000, 1, 'closed'),
      fail(4_000, 5, 'open'),
      { at: 4_999, expect: 'open' },
      { at: 5_000, expect: 'half-open' }, // 1 s again
    ],
  },
  {
    name: 'outcomes recorded while it cools down are ignored',
    steps: [fail(0, 5), ok(100, 3, 'open'), fail(200, 3), { at: 5_000, expect: 'half-open' }],
  },
  {
    name: 'a probe whose outcome never comes back stops blocking after the lease',
    options: { probeLeaseMs: 1_000 },
    steps: [fail(0, 5), { at: 5_000, allow: true }, { at: 5_999, allow: false }, { at: 6_000, expect: 'half-open' }, { at: 6_000, allow: true }, { at: 6_001, allow: false }],
  },
];

describe('CircuitBreakers transitions', () => {
  it.each(CASES)('$name', ({ options, steps }) => {
    const breakers = new CircuitBreakers([ID, 'other'], options);
    for (const [i, step] of steps.entries()) {
      const where = `step ${i} at ${step.at}`;
      if ('record' in step) for (let n = 0; n < (step.times ?? 1); n++) breakers.record(ID, step.record, step.at);
      if ('allow' in step) expect(breakers.allow(ID, step.at), where).toBe(step.allow);
      if (step.expect !== undefined) expect(breakers.state(ID, step.at), where).toBe(step.expect);
    }
    expect(breakers.state('other', 1e9)).toBe('closed'); // breakers are independent
  });
});

describe('CircuitBreakers', () => {
  it('has the documented defaults', () => {
    expect(BREAKER_DEFAULTS).toMatchObject({ consecutiveFailures: 5, errorRatio: 0.5, minRequests: 10, windowMs: 10_000, cooldownMs: 5_000 });
  });

  it('ignores ids outside the fleet (closed, nothing stored)', () => {
    const breakers = new CircuitBreakers([ID]);
    for (let i = 0; i < 100; i++) breakers.record(`stranger-${i}`, 'failure', i);
    expect(breakers.state('stranger-1', 100)).toBe('closed');
    expect(breakers.allow('stranger-1', 100)).toBe(true);
  });

  it('refuses nonsense options', () => {
    expect(() => new CircuitBreakers([], { errorRatio: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreakers([], { buckets: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreakers([], { cooldownMs: 10, maxCooldownMs: 5 })).toThrow(RangeError);
  });
});

describe('SlidingWindow', () => {
  it('counts the last N buckets in fixed memory', () => {
    const w = new SlidingWindow(1_000, 4); // 250 ms buckets
    w.add(true, 0);
    w.add(false, 100);
    w.add(false, 300);
    expect(w.totals(300)).toEqual({ requests: 3, failures: 1 });
    expect(w.totals(999)).toEqual({ requests: 3, failures: 1 });
    expect(w.totals(1_000)).toEqual({ requests: 1, failures: 0 }); // bucket 0 left the window
    expect(w.totals(1_250)).toEqual({ requests: 0, failures: 0 });
    for (let t = 0; t < 100_000; t += 7) w.add(t % 2 === 0, t);
    const { requests } = w.totals(99_999);
    expect(requests).toBeGreaterThan(0);
    expect(requests).toBeLessThanOrEqual(Math.ceil(1_000 / 7) + 1);
  });

  it('reuses a slot for a later bucket instead of adding to stale counts', () => {
    const w = new SlidingWindow(1_000, 4);
    w.add(true, 0);
    w.add(false, 1_000); // same slot, next lap
    expect(w.totals(1_000)).toEqual({ requests: 1, failures: 0 });
  });

  it('clears', () => {
    const w = new SlidingWindow(1_000, 4);
    w.add(true, 0);
    w.clear();
    expect(w.totals(0)).toEqual({ requests: 0, failures: 0 });
  });
});

describe('bodies that fail after their first byte (streams cut or stalled)', () => {
  // The error ratio out of play: only runs of failures decide here.
  const breakers = () => new CircuitBreakers([ID], { errorRatio: 1 });

  it('open the breaker after 5 in a row, even with whole answers read inside the attempt in between', () => {
    const b = breakers();
    for (let i = 0; i < 4; i++) {
      b.record(ID, 'failure', i * 10, true);
      b.record(ID, 'success', i * 10 + 1);
      b.record(ID, 'success', i * 10 + 2);
    }
    expect(b.state(ID, 50)).toBe('closed');
    b.record(ID, 'failure', 60, true);
    expect(b.state(ID, 61)).toBe('open');
  });

  it('a body that arrives whole resets the run', () => {
    const b = breakers();
    for (let i = 0; i < 4; i++) b.record(ID, 'failure', i, true);
    b.record(ID, 'success', 10, true);
    for (let i = 0; i < 4; i++) b.record(ID, 'failure', 20 + i, true);
    expect(b.state(ID, 30)).toBe('closed');
  });

  it('once it tripped, a probe closed by a whole non-streaming answer lets one more cut through, not five', () => {
    const b = breakers();
    for (let i = 0; i < 5; i++) b.record(ID, 'failure', i, true);
    const reopen = BREAKER_DEFAULTS.cooldownMs + 10;
    expect(b.allow(ID, reopen)).toBe(true);
    b.record(ID, 'success', reopen);
    expect(b.state(ID, reopen)).toBe('closed');
    b.record(ID, 'failure', reopen + 1, true);
    expect(b.state(ID, reopen + 2)).toBe('open');
  });
});
