import { describe, expect, it } from 'vitest';
import { observePeakEwma, PEAK_EWMA_TAU_MS, type PeakEwma } from '../../../../src/route/balancers/peak-ewma.ts';

const TAU = PEAK_EWMA_TAU_MS;

describe('the peak-EWMA estimator', () => {
  it('starts at the first sample', () => {
    expect(observePeakEwma(undefined, 120, 1_000)).toEqual({ value: 120, at: 1_000 });
  });

  it('jumps up at once on a spike, however soon after the last sample', () => {
    const prev: PeakEwma = { value: 50, at: 1_000 };
    expect(observePeakEwma(prev, 900, 1_000)).toEqual({ value: 900, at: 1_000 });
    expect(observePeakEwma(prev, 900, 1_001)?.value).toBe(900);
  });

  it.each([
    ['Δt = tau', TAU],
    ['Δt = tau / 10', TAU / 10],
    ['Δt = 3·tau', 3 * TAU],
    ['Δt = 1 ms', 1],
  ])('decays toward a lower sample with the time constant (%s)', (_what, dt) => {
    const prev: PeakEwma = { value: 1_000, at: 5_000 };
    const w = Math.exp(-dt / TAU);
    const next = observePeakEwma(prev, 100, 5_000 + dt);
    expect(Math.abs((next?.value ?? NaN) - (1_000 * w + 100 * (1 - w)))).toBeLessThan(1e-9);
    expect(next?.at).toBe(5_000 + dt);
  });

  it('at Δt = tau, has covered 1 − 1/e of the way down', () => {
    const next = observePeakEwma({ value: 1_000, at: 0 }, 0, TAU);
    expect(Math.abs((next?.value ?? NaN) - 1_000 / Math.E)).toBeLessThan(1e-9);
  });

  it('honours a custom tau', () => {
    const next = observePeakEwma({ value: 400, at: 0 }, 200, 2_000, 2_000);
    expect(Math.abs((next?.value ?? NaN) - (400 / Math.E + 200 * (1 - 1 / Math.E)))).toBeLessThan(1e-9);
  });

  it.each([
    ['zero Δt', 5_000],
    ['a clock that steps back', 4_000],
  ])('holds (never NaN) with %s', (_what, now) => {
    const next = observePeakEwma({ value: 300, at: 5_000 }, 10, now);
    expect(next?.value).toBe(300);
    expect(next?.at).toBe(5_000);
  });

  it('converges to a steady latency and recovers from a spike within a few tau', () => {
    let est: PeakEwma | undefined;
    let now = 0;
    for (; now < 10_000; now += 100) est = observePeakEwma(est, 40, now);
    est = observePeakEwma(est, 2_000, now); // one slow response
    expect(est?.value).toBe(2_000);
    for (const t = now + 5 * TAU; now < t; ) est = observePeakEwma(est, 40, (now += 100));
    expect(est?.value).toBeGreaterThan(40);
    expect((est?.value ?? Infinity) - 40).toBeLessThan(1960 * Math.exp(-4.9));
  });

  it.each([NaN, Infinity, -1])('ignores a sample that is not a duration (%s)', (sample) => {
    const prev: PeakEwma = { value: 80, at: 0 };
    expect(observePeakEwma(prev, sample, 1_000)).toBe(prev);
    expect(observePeakEwma(undefined, sample, 1_000)).toBeUndefined();
  });
});
