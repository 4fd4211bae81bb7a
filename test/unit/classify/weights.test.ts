import { describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../../src/classify/features.ts';
import { SHIPPED_WEIGHTS } from '../../../src/classify/shipped-weights.ts';
import { ClassifierWeightsSchema } from '../../../src/classify/weights.ts';

describe('shipped weights', () => {
  it('cover every feature once, with ascending thresholds for the three default tiers', () => {
    expect(SHIPPED_WEIGHTS.features.map((f) => f.name).sort()).toEqual([...FEATURE_NAMES].sort());
    expect(SHIPPED_WEIGHTS.thresholds).toHaveLength(2);
    const [medium = 0, large = 0] = SHIPPED_WEIGHTS.thresholds;
    expect(medium).toBeLessThanOrEqual(large);
  });

  it('say where they came from and how each source did when left out', () => {
    const p = SHIPPED_WEIGHTS.provenance as {
      script?: string;
      sources?: { name: string; use: string; files: unknown[] }[];
      leftOut?: Record<string, { ratio: number; lengthRatio: number }>;
    };
    expect(p.script).toBe('infra/classifier/fit.ts');
    expect(p.sources?.filter((s) => s.use === 'fit').length).toBeGreaterThanOrEqual(3);
    for (const s of p.sources ?? []) {
      expect(s.files.length).toBeGreaterThan(0);
      expect(p.leftOut?.[s.name]?.ratio).toBeGreaterThan(0);
    }
    // Third-party data is cited by repository and commit, never copied in.
    const pinned = (p.sources ?? []).flatMap((s) => s.files as { repo?: string; commit?: string }[]).filter((f) => f.repo !== undefined);
    expect(pinned.length).toBeGreaterThan(0);
    for (const f of pinned) expect(f.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it('keep a length prior that fitting cannot remove, and count no cue against the strong model', () => {
    const length = SHIPPED_WEIGHTS.features.find((f) => f.name === 'promptTokens');
    expect(length?.min).toBeGreaterThan(0);
    expect(length?.weight).toBeGreaterThanOrEqual(length?.min ?? Number.POSITIVE_INFINITY);
    for (const f of SHIPPED_WEIGHTS.features) expect(f.weight).toBeGreaterThanOrEqual(f.min);
    for (const f of SHIPPED_WEIGHTS.features.filter((x) => x.source === 'unscored')) expect(f.weight).toBe(0);
  });

  it('reject a weight under its floor and an unscored feature with a weight', () => {
    const under = SHIPPED_WEIGHTS.features.map((f) => (f.name === 'promptTokens' ? { ...f, weight: f.min / 2 } : f));
    expect(ClassifierWeightsSchema.safeParse({ ...SHIPPED_WEIGHTS, features: under }).success).toBe(false);
    const weighted = SHIPPED_WEIGHTS.features.map((f) => (f.source === 'unscored' ? { ...f, weight: 1 } : f));
    if (SHIPPED_WEIGHTS.features.some((f) => f.source === 'unscored')) {
      expect(ClassifierWeightsSchema.safeParse({ ...SHIPPED_WEIGHTS, features: weighted }).success).toBe(false);
    }
  });

  it('keep a weight at its prior wherever the data could not move it', () => {
    for (const f of SHIPPED_WEIGHTS.features.filter((x) => x.source === 'prior')) expect(f.weight).toBe(f.prior);
  });

  it('reject a file missing a feature or with thresholds out of order', () => {
    const broken = { ...SHIPPED_WEIGHTS, features: SHIPPED_WEIGHTS.features.slice(1) };
    expect(ClassifierWeightsSchema.safeParse(broken).success).toBe(false);
    expect(ClassifierWeightsSchema.safeParse({ ...SHIPPED_WEIGHTS, thresholds: [0.9, 0.1] }).success).toBe(false);
  });
});
