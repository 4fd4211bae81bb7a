import { describe, expect, it } from 'vitest';
import { SHIPPED_WEIGHTS } from '../../../src/classify/shipped-weights.ts';
import { DEFAULT_TIER_RULES, TierRulesSchema } from '../../../src/classify/tier-rules.ts';

const issuesOf = (input: unknown) => {
  const result = TierRulesSchema.safeParse(input);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('TierRulesSchema', () => {
  it('defaults every field: three tiers, calibrated thresholds, quality over latency', () => {
    expect(TierRulesSchema.parse({})).toEqual(DEFAULT_TIER_RULES);
    expect(DEFAULT_TIER_RULES.tiers).toEqual(['small', 'medium', 'large']);
    expect(DEFAULT_TIER_RULES.scoreThresholds).toEqual(SHIPPED_WEIGHTS.thresholds);
    expect(DEFAULT_TIER_RULES.onConflict).toBe('quality');
    expect(DEFAULT_TIER_RULES.latencyBudgets.length).toBeGreaterThan(0);
    expect(DEFAULT_TIER_RULES.qualityFloors.length).toBeGreaterThan(0);
  });

  it('gives each parse its own default arrays', () => {
    const a = TierRulesSchema.parse({});
    a.tiers.push('huge');
    expect(TierRulesSchema.parse({}).tiers).toEqual(['small', 'medium', 'large']);
  });

  it('keeps fields it is given and fills the rest', () => {
    const rules = TierRulesSchema.parse({ onConflict: 'latency', scoreThresholds: [0.2, 0.7] });
    expect(rules.onConflict).toBe('latency');
    expect(rules.scoreThresholds).toEqual([0.2, 0.7]);
    expect(rules.tiers).toEqual(['small', 'medium', 'large']);
  });

  it.each([
    ['a threshold count that does not match the tiers', { scoreThresholds: [0.5] }, 'scoreThresholds: needs 2 threshold(s)'],
    ['descending thresholds', { scoreThresholds: [0.7, 0.2] }, 'scoreThresholds.1: thresholds must be ascending'],
    ['a threshold outside 0..1', { scoreThresholds: [0.2, 1.5] }, 'scoreThresholds.1'],
    ['a budget naming an unknown tier', { latencyBudgets: [{ atMostMs: 100, maxTier: 'tiny' }] }, 'latencyBudgets.0.maxTier: "tiny" is not one of the tiers'],
    ['a floor naming an unknown tier', { qualityFloors: [{ atLeast: 0.5, minTier: 'huge' }] }, 'qualityFloors.0.minTier: "huge" is not one of the tiers'],
    ['duplicate tiers', { tiers: ['a', 'a'], scoreThresholds: [0.5], latencyBudgets: [], qualityFloors: [] }, 'tiers: tier names must be unique'],
    ['a negative budget', { latencyBudgets: [{ atMostMs: -1, maxTier: 'small' }] }, 'latencyBudgets.0.atMostMs'],
    ['an unknown conflict policy', { onConflict: 'coin-flip' }, 'onConflict'],
    ['custom tiers with the default policy left in', { tiers: ['edge', 'central'], scoreThresholds: [0.5] }, 'latencyBudgets.0.maxTier: "small" is not one of the tiers (edge, central)'],
  ])('rejects %s, naming the field', (_name, input, expected) => {
    expect(issuesOf(input).join('\n')).toContain(expected);
  });
});
