import { describe, expect, it } from 'vitest';
import {
  interTokenLatencyMs,
  PROFILES,
  profileProblems,
  resolveProfile,
  type SimProfile,
  timeFactor,
  timeToFirstTokenMs,
  tokenDelayMs,
  tokenDueAt,
} from '../../../infra/local/sim/latency-model.ts';

const h100 = PROFILES['h100-8b'];

describe('latency model (llm-d simulator formulas)', () => {
  it('h100-8b alone: TTFT = 30 ms + 250 µs per uncached prompt token, ITL 12 ms', () => {
    expect(timeFactor(h100, 1)).toBe(1);
    expect(timeToFirstTokenMs(h100, 1000, 0, 1)).toBe(280);
    expect(timeToFirstTokenMs(h100, 1000, 512, 1)).toBe(30 + 488 * 0.25);
    expect(interTokenLatencyMs(h100, 1)).toBe(12);
  });

  it('h100-8b at full batch (n = max_num_seqs = 16): every latency doubles (F = 2)', () => {
    expect(timeFactor(h100, 16)).toBe(2);
    expect(timeToFirstTokenMs(h100, 1000, 0, 16)).toBe(560);
    expect(timeToFirstTokenMs(h100, 1000, 992, 16)).toBe(2 * 30 + 8 * 2 * 0.25);
    expect(interTokenLatencyMs(h100, 16)).toBe(24);
  });

  it('time factor grows linearly between 1 and F', () => {
    expect(timeFactor(h100, 6)).toBeCloseTo(1 + 5 / 15, 12);
    expect(interTokenLatencyMs(h100, 6)).toBeCloseTo(12 * (1 + 5 / 15), 9);
  });

  it('time factor edge cases: n below 1 counts as 1, above max_num_seqs as max, a batch of one is never loaded', () => {
    expect(timeFactor(h100, 0)).toBe(1);
    expect(timeFactor(h100, 40)).toBe(2);
    const single: SimProfile = { ...h100, name: 'single', maxNumSeqs: 1 };
    expect(timeFactor(single, 1)).toBe(1);
    expect(timeFactor(single, 5)).toBe(1);
    const flat: SimProfile = { ...h100, name: 'flat', timeFactorUnderLoad: 1 };
    expect(timeFactor(flat, 16)).toBe(1);
  });

  it('cached tokens beyond the prompt never make the TTFT cheaper than the overhead', () => {
    expect(timeToFirstTokenMs(h100, 100, 200, 1)).toBe(30);
  });

  it('token delays: the first is the TTFT, later ones the ITL; due times add up from the time passed in', () => {
    const step = { promptTokens: 200, cachedTokens: 0, running: 1 };
    expect(tokenDelayMs(h100, { ...step, index: 0 })).toBe(80);
    expect(tokenDelayMs(h100, { ...step, index: 3 })).toBe(12);
    expect(tokenDueAt(h100, { ...step, index: 0 }, 1000)).toBe(1080);
    expect(tokenDueAt(h100, { ...step, index: 1, running: 16 }, 1080)).toBe(1104);
  });

  it('the zero profile has no latency at all; fast is small but not zero', () => {
    expect(timeToFirstTokenMs(PROFILES.zero, 5000, 0, 200)).toBe(0);
    expect(interTokenLatencyMs(PROFILES.zero, 200)).toBe(0);
    expect(timeToFirstTokenMs(PROFILES.fast, 100, 0, 1)).toBeCloseTo(7, 9);
    expect(interTokenLatencyMs(PROFILES.fast, 8)).toBe(4);
  });

  it('resolves profiles by name and checks profile objects', () => {
    expect(resolveProfile('fast')).toBe(PROFILES.fast);
    expect(() => resolveProfile('a100')).toThrow(/unknown sim profile "a100"/);
    expect(profileProblems(h100)).toEqual([]);
    const broken: SimProfile = { ...h100, name: 'broken', maxNumSeqs: 0, interTokenLatencyMs: -1, timeFactorUnderLoad: 0.5 };
    expect(profileProblems(broken)).toEqual([
      'interTokenLatencyMs must be a number >= 0',
      'timeFactorUnderLoad must be a number >= 1',
      'maxNumSeqs must be an integer >= 1',
    ]);
    expect(() => resolveProfile(broken)).toThrow(/invalid sim profile "broken"/);
  });
});
