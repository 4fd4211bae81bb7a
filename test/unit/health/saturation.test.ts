import { describe, expect, it } from 'vitest';
import { DEFAULT_SATURATION_LIMITS, isSaturated, retryAfterMs, SaturationMarks } from '../../../src/health/saturation.ts';

const ID = 'eu-west/llama/0';
const T0 = 1_700_000_000_000;

describe('SaturationMarks', () => {
  it('marks an endpoint saturated for Retry-After seconds', () => {
    const marks = new SaturationMarks([ID]);
    expect(marks.saturatedUntil(ID)).toBe(0);
    expect(marks.mark(ID, T0, '3')).toBe(T0 + 3_000);
    expect(marks.saturatedUntil(ID)).toBe(T0 + 3_000);
  });

  it('defaults to 1 s without a usable Retry-After', () => {
    for (const header of [undefined, null, '', 'soon', '-5']) {
      const marks = new SaturationMarks([ID]);
      expect(marks.mark(ID, T0, header)).toBe(T0 + 1_000);
    }
  });

  it('caps a long Retry-After', () => {
    const marks = new SaturationMarks([ID], { maxRetryAfterMs: 10_000 });
    expect(marks.mark(ID, T0, '3600')).toBe(T0 + 10_000);
  });

  it('reads an HTTP-date Retry-After', () => {
    const marks = new SaturationMarks([ID]);
    const at = new Date(T0 + 4_000).toUTCString();
    expect(marks.mark(ID, T0, at)).toBe(T0 + 4_000);
  });

  it('never shortens a longer mark', () => {
    const marks = new SaturationMarks([ID]);
    marks.mark(ID, T0, '10');
    expect(marks.mark(ID, T0 + 1_000, '1')).toBe(T0 + 10_000);
    expect(marks.mark(ID, T0 + 20_000)).toBe(T0 + 21_000);
  });

  it('ignores ids outside the fleet', () => {
    const marks = new SaturationMarks([ID]);
    expect(marks.mark('stranger', T0, '5')).toBe(0);
    expect(marks.saturatedUntil('stranger')).toBe(0);
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['0', 0],
    ['2', 2_000],
    ['1.5', 1_500],
    [' 7 ', 7_000],
    ['2026', 2_026_000], // delta-seconds, not a year: SaturationMarks caps it
    ['abc', undefined],
    [new Date(T0 - 5_000).toUTCString(), 0],
  ])('%j → %s', (header, expected) => {
    expect(retryAfterMs(header, T0)).toBe(expected);
  });
});

describe('isSaturated', () => {
  const limits = { maxWaiting: 4, maxKvCacheUsage: 0.9 };
  it.each([
    ['no sample', undefined, false],
    ['no metrics', { healthy: true, checkedAt: T0 }, false],
    ['idle', { healthy: true, checkedAt: T0, waiting: 0, running: 3, kvCacheUsage: 0.2 }, false],
    ['queue at the limit', { healthy: true, checkedAt: T0, waiting: 4 }, true],
    ['queue under the limit', { healthy: true, checkedAt: T0, waiting: 3, kvCacheUsage: 0.89 }, false],
    ['KV cache at the limit', { healthy: true, checkedAt: T0, waiting: 0, kvCacheUsage: 0.9 }, true],
  ])('%s', (_name, sample, expected) => {
    expect(isSaturated(sample, limits)).toBe(expected);
  });

  it('defaults to KV cache ≥ 0.98', () => {
    expect(DEFAULT_SATURATION_LIMITS.maxKvCacheUsage).toBe(0.98);
    expect(isSaturated({ healthy: true, checkedAt: T0, kvCacheUsage: 0.979 })).toBe(false);
    expect(isSaturated({ healthy: true, checkedAt: T0, kvCacheUsage: 0.98 })).toBe(true);
  });
});
