import { describe, expect, it } from 'vitest';
import { chooseTier, type TierHints } from '../../../src/classify/choose-tier.ts';
import { type TierRules, TierRulesSchema } from '../../../src/classify/tier-rules.ts';

// Explicit rules, so the table does not move when calibration changes the default thresholds.
const RULES: TierRules = TierRulesSchema.parse({
  strategy: 'scored',
  scoreThresholds: [0.3, 0.6],
  latencyBudgets: [
    { atMostMs: 500, maxTier: 'small' },
    { atMostMs: 2000, maxTier: 'medium' },
  ],
  qualityFloors: [
    { atLeast: 0.8, minTier: 'large' },
    { atLeast: 0.5, minTier: 'medium' },
  ],
});
const LATENCY_WINS: TierRules = { ...RULES, onConflict: 'latency' };

describe('chooseTier, scored strategy', () => {
  it.each<[string, number, TierHints, TierRules, string, string]>([
    // The score alone.
    ['low score', 0.1, {}, RULES, 'small', 'score=0.1<0.3'],
    ['middle score', 0.45, {}, RULES, 'medium', 'score=0.45>=0.3'],
    ['high score', 0.71, {}, RULES, 'large', 'score=0.71>=0.6'],
    ['score exactly on the lower threshold', 0.3, {}, RULES, 'medium', 'score=0.3>=0.3'],
    ['score exactly on the upper threshold', 0.6, {}, RULES, 'large', 'score=0.6>=0.6'],
    ['score just under a threshold', 0.5999, {}, RULES, 'medium', 'score=0.599>=0.3'],
    ['score 0', 0, {}, RULES, 'small', 'score=0<0.3'],
    ['score 1', 1, {}, RULES, 'large', 'score=1>=0.6'],
    // A latency budget caps the tier.
    ['tight budget', 0.9, { maxLatencyMs: 300 }, RULES, 'small', 'latency-budget<=500ms'],
    ['budget exactly on a cut-off', 0.9, { maxLatencyMs: 500 }, RULES, 'small', 'latency-budget<=500ms'],
    ['moderate budget', 0.9, { maxLatencyMs: 1500 }, RULES, 'medium', 'latency-budget<=2000ms'],
    ['loose budget', 0.9, { maxLatencyMs: 10_000 }, RULES, 'large', 'score=0.9>=0.6'],
    ['budget above what the score needs', 0.1, { maxLatencyMs: 1500 }, RULES, 'small', 'score=0.1<0.3'],
    // A quality floor raises it.
    ['high floor', 0.1, { minQuality: 0.9 }, RULES, 'large', 'quality-floor>=0.8'],
    ['floor exactly on a cut-off', 0.1, { minQuality: 0.5 }, RULES, 'medium', 'quality-floor>=0.5'],
    ['floor below what the score earns', 0.9, { minQuality: 0.6 }, RULES, 'large', 'score=0.9>=0.6'],
    ['floor below every rule', 0.1, { minQuality: 0.2 }, RULES, 'small', 'score=0.1<0.3'],
    // Both hints, compatible: the score is clamped between floor and cap.
    ['floor and budget agree', 0.1, { minQuality: 0.6, maxLatencyMs: 1500 }, RULES, 'medium', 'quality-floor>=0.5'],
    ['budget trims a high score to the floor', 0.9, { minQuality: 0.6, maxLatencyMs: 1500 }, RULES, 'medium', 'latency-budget<=2000ms'],
    // Conflict: the floor needs more than the budget allows.
    [
      'tight budget vs high floor, quality wins',
      0.1, { maxLatencyMs: 300, minQuality: 0.9 }, RULES, 'large', 'quality-floor>=0.8;latency-budget<=500ms-overridden',
    ],
    [
      'quality wins with the lowest tier that meets the floor',
      0.9, { maxLatencyMs: 300, minQuality: 0.6 }, RULES, 'medium', 'quality-floor>=0.5;latency-budget<=500ms-overridden',
    ],
    [
      'tight budget vs high floor, latency wins',
      0.1, { maxLatencyMs: 300, minQuality: 0.9 }, LATENCY_WINS, 'small', 'latency-budget<=500ms;quality-floor>=0.8-unmet',
    ],
    [
      'latency wins keeps the cap even against a high score',
      0.9, { maxLatencyMs: 1500, minQuality: 0.9 }, LATENCY_WINS, 'medium', 'latency-budget<=2000ms;quality-floor>=0.8-unmet',
    ],
    // Hints that are not numbers are ignored.
    ['NaN hints', 0.45, { maxLatencyMs: Number.NaN, minQuality: Number.NaN }, RULES, 'medium', 'score=0.45>=0.3'],
  ])('%s', (_name, score, hints, rules, tier, reason) => {
    expect(chooseTier({ score }, hints, rules)).toEqual({ tier, reason });
  });

  it('works with custom tier names and counts', () => {
    const two = TierRulesSchema.parse({
      strategy: 'scored',
      tiers: ['edge', 'central'],
      scoreThresholds: [0.5],
      latencyBudgets: [{ atMostMs: 100, maxTier: 'edge' }],
      qualityFloors: [{ atLeast: 0.95, minTier: 'central' }],
    });
    expect(chooseTier({ score: 0.49 }, {}, two)).toEqual({ tier: 'edge', reason: 'score=0.49<0.5' });
    expect(chooseTier({ score: 0.5 }, {}, two)).toEqual({ tier: 'central', reason: 'score=0.5>=0.5' });
    expect(chooseTier({ score: 0.9 }, { maxLatencyMs: 80 }, two)).toEqual({ tier: 'edge', reason: 'latency-budget<=100ms' });
    expect(chooseTier({ score: 0 }, { minQuality: 1 }, two)).toEqual({ tier: 'central', reason: 'quality-floor>=0.95' });
  });

  it('takes the tightest matching budget and the highest matching floor, whatever their order', () => {
    const shuffled = TierRulesSchema.parse({
      ...RULES,
      latencyBudgets: [...RULES.latencyBudgets].reverse(),
      qualityFloors: [...RULES.qualityFloors].reverse(),
    });
    expect(chooseTier({ score: 0.9 }, { maxLatencyMs: 100 }, shuffled).tier).toBe('small');
    expect(chooseTier({ score: 0 }, { minQuality: 0.99 }, shuffled).tier).toBe('large');
  });

  it('has a single tier with nothing to decide', () => {
    const one = TierRulesSchema.parse({ strategy: 'scored', tiers: ['only'], scoreThresholds: [], latencyBudgets: [], qualityFloors: [] });
    expect(chooseTier({ score: 0.99 }, { minQuality: 1, maxLatencyMs: 1 }, one)).toEqual({ tier: 'only', reason: 'single-tier' });
  });

  it('keeps reasons header-safe', () => {
    const { reason } = chooseTier({ score: 0.123456 }, { maxLatencyMs: 300, minQuality: 0.9 }, RULES);
    expect(reason).toMatch(/^[\x21-\x7e]+$/);
  });
});

// The reference document's pattern-6 pseudo-code, line by line:
//   if latency_requirement < 100: edge-7b
//   elif complexity == "simple" and quality_requirement < 0.8: regional-13b
//   else: central-70b
const REFERENCE: TierRules = TierRulesSchema.parse({ scoreThresholds: [0.3, 0.6] });

describe('chooseTier, reference strategy (the default)', () => {
  it('is the default strategy', () => {
    expect(TierRulesSchema.parse({}).strategy).toBe('reference');
  });

  it.each<[string, number, TierHints, string, string]>([
    ['a budget under 100 ms goes to the edge, however hard the request', 0.95, { maxLatencyMs: 80 }, 'small', 'latency=80<100ms->edge'],
    ['99 ms is under 100', 0.1, { maxLatencyMs: 99 }, 'small', 'latency=99<100ms->edge'],
    ['100 ms is not under 100: a simple request goes regional', 0.1, { maxLatencyMs: 100 }, 'medium', 'simple(score=0.1<0.3)&quality<0.8->regional'],
    ['a 100-500 ms budget is not capped to small', 0.9, { maxLatencyMs: 300 }, 'large', 'complex(score=0.9>=0.3)->central'],
    ['latency wins over quality (the first branch)', 0.1, { maxLatencyMs: 50, minQuality: 0.99 }, 'small', 'latency=50<100ms->edge'],
    ['simple with no stated quality goes regional', 0.29, {}, 'medium', 'simple(score=0.29<0.3)&quality<0.8->regional'],
    ['simple with quality under 0.8 goes regional', 0.1, { minQuality: 0.79 }, 'medium', 'simple(score=0.1<0.3)&quality<0.8->regional'],
    ['simple with quality 0.8 goes central', 0.1, { minQuality: 0.8 }, 'large', 'quality=0.8>=0.8->central'],
    ['a score on the first threshold is not simple', 0.3, {}, 'large', 'complex(score=0.3>=0.3)->central'],
    ['medium complexity goes central', 0.45, { minQuality: 0.1 }, 'large', 'complex(score=0.45>=0.3)->central'],
    ['NaN hints count as absent', 0.1, { maxLatencyMs: Number.NaN, minQuality: Number.NaN }, 'medium', 'simple(score=0.1<0.3)&quality<0.8->regional'],
  ])('%s', (_name, score, hints, tier, reason) => {
    expect(chooseTier({ score }, hints, REFERENCE)).toEqual({ tier, reason });
  });

  it('follows the tiers the fleet places at edge, regional and central', () => {
    const placed = TierRulesSchema.parse({
      tiers: ['tiny', 'mid', 'big'],
      scoreThresholds: [0.3, 0.6],
      latencyBudgets: [],
      qualityFloors: [],
      reference: { placements: { edge: 'tiny', regional: 'big', central: 'big' } },
    });
    expect(chooseTier({ score: 0.1 }, {}, placed).tier).toBe('big');
    expect(chooseTier({ score: 0.1 }, { maxLatencyMs: 10 }, placed).tier).toBe('tiny');
  });

  it('maps two tiers by rank: edge and regional are the first, central the last', () => {
    const two = TierRulesSchema.parse({ tiers: ['near', 'far'], scoreThresholds: [0.5], latencyBudgets: [], qualityFloors: [] });
    expect(chooseTier({ score: 0.1 }, {}, two).tier).toBe('near');
    expect(chooseTier({ score: 0.7 }, {}, two).tier).toBe('far');
  });

  it('uses the configured constants', () => {
    const tuned = TierRulesSchema.parse({ scoreThresholds: [0.3, 0.6], reference: { edgeLatencyMs: 250, regionalMaxQuality: 0.5 } });
    expect(chooseTier({ score: 0.9 }, { maxLatencyMs: 200 }, tuned).tier).toBe('small');
    expect(chooseTier({ score: 0.1 }, { minQuality: 0.6 }, tuned).tier).toBe('large');
  });

  it('refuses placements that name no tier', () => {
    const bad = TierRulesSchema.safeParse({ reference: { placements: { edge: 'small', regional: 'nope', central: 'large' } } });
    expect(bad.success).toBe(false);
  });
});
