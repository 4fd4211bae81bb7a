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

  it('say where they came from and how they did on held-out data', () => {
    const p = SHIPPED_WEIGHTS.provenance as { script?: string; data?: unknown[]; heldOut?: Record<string, number> };
    expect(p.script).toBe('infra/classifier/fit.ts');
    expect(p.data?.length).toBeGreaterThan(0);
    expect(p.heldOut?.auc).toBeGreaterThan(0.5);
    expect(p.heldOut?.largeShareFor95).toBeLessThanOrEqual(p.heldOut?.randomShareFor95 ?? 0);
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
