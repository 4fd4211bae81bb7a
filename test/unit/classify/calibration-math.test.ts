import { describe, expect, it } from 'vitest';
import { fitLogistic, logLoss, predict } from '../../../infra/classifier/logistic.ts';
import { auc, compareRouting, qualityCurve, shareToReach } from '../../../infra/classifier/routing-curve.ts';

describe('auc', () => {
  it('is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [false, false, true, true])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [false, false, true, true])).toBe(0);
    expect(auc([0.5, 0.5, 0.5, 0.5], [false, true, false, true])).toBe(0.5);
  });

  it('counts a tied positive-negative pair as one half', () => {
    // Pairs (pos, neg): (0.6 vs 0.2) win, (0.6 vs 0.6) tie, (0.9 vs both) win → (1 + 0.5 + 2) / 4.
    expect(auc([0.2, 0.6, 0.6, 0.9], [false, false, true, true])).toBe(3.5 / 4);
  });

  it('is undefined without both classes', () => {
    expect(auc([0.1, 0.2], [true, true])).toBeNaN();
  });
});

describe('routing curve', () => {
  const items = [
    { score: 0.9, strong: 9, weak: 3 },
    { score: 0.5, strong: 8, weak: 8 },
    { score: 0.1, strong: 7, weak: 7 },
    { score: 0.3, strong: 10, weak: 10 },
  ];

  it('sends the highest scores to the strong model first', () => {
    const curve = qualityCurve(items);
    expect(curve[0]).toEqual({ share: 0, quality: 7 });
    expect(curve[1]).toEqual({ share: 0.25, quality: 8.5 });
    expect(curve.at(-1)).toEqual({ share: 1, quality: 8.5 });
  });

  it('splits a tie group linearly (the expectation over tie-breaks)', () => {
    const tied = [
      { score: 0.5, strong: 10, weak: 0 },
      { score: 0.5, strong: 10, weak: 10 },
    ];
    expect(qualityCurve(tied)).toEqual([
      { share: 0, quality: 5 },
      { share: 1, quality: 10 },
    ]);
    expect(shareToReach(qualityCurve(tied), 7.5)).toBeCloseTo(0.5, 10);
  });

  it('compares against random routing, whose expected curve is a straight line', () => {
    const r = compareRouting(items, 0.95);
    expect(r.allStrong).toBe(8.5);
    expect(r.allWeak).toBe(7);
    expect(r.target).toBeCloseTo(8.075, 10);
    // The classifier reaches the target inside its first step; random needs (8.075 - 7) / 1.5.
    expect(r.classifierShare).toBeCloseTo(0.25 * (1.075 / 1.5), 10);
    expect(r.randomShare).toBeCloseTo(1.075 / 1.5, 10);
  });

  it('needs no share when the weak model already meets the target', () => {
    expect(compareRouting([{ score: 1, strong: 10, weak: 9.9 }], 0.95).classifierShare).toBe(0);
  });
});

describe('fitLogistic', () => {
  const x = [[0, 0], [0.1, 0], [0.2, 0], [0.8, 0], [0.9, 0], [1, 0], [0.3, 0], [0.7, 0]];
  const y = [0, 0, 0, 1, 1, 1, 0, 1];

  it('learns a positive weight for a feature that separates the labels', () => {
    const fit = fitLogistic(x, y, { priors: [0, 0], lambda: 0.01 });
    expect(fit.weights[0]).toBeGreaterThan(3);
    expect(predict(fit, [1, 0])).toBeGreaterThan(0.8);
    expect(predict(fit, [0, 0])).toBeLessThan(0.2);
    expect(logLoss(x.map((row) => predict(fit, row)), y)).toBeLessThan(0.4);
  });

  it('leaves a feature the data never exercises at its prior', () => {
    const fit = fitLogistic(x, y, { priors: [0, 1.7], lambda: 1 });
    expect(fit.weights[1]).toBeCloseTo(1.7, 10);
  });

  it('keeps weights at or above zero when asked', () => {
    const flipped = y.map((v) => 1 - v);
    expect(fitLogistic(x, flipped, { priors: [1, 0], lambda: 0.01 }).weights[0]).toBeLessThan(0);
    expect(fitLogistic(x, flipped, { priors: [1, 0], lambda: 0.01, nonNegative: true }).weights[0]).toBe(0);
  });
});
