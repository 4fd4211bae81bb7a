import { describe, expect, it } from 'vitest';
import { operatingPoint, thresholdFor } from '../../../infra/classifier/evaluate.ts';
import { fitLogistic, logLoss, predict } from '../../../infra/classifier/logistic.ts';
import type { Row } from '../../../infra/classifier/loso.ts';
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
    const b = fit.intercepts[0] ?? 0;
    expect(predict(fit, b, [1, 0])).toBeGreaterThan(0.8);
    expect(predict(fit, b, [0, 0])).toBeLessThan(0.2);
    expect(logLoss(x.map((row) => predict(fit, b, row)), y)).toBeLessThan(0.4);
  });

  it('reaches the penalised optimum: the gradient vanishes there', () => {
    const lambda = 0.5;
    const fit = fitLogistic(x, y, { priors: [1, 0], lambda });
    const b = fit.intercepts[0] ?? 0;
    const err = x.map((row, i) => predict(fit, b, row) - (y[i] ?? 0));
    expect(err.reduce((a, e) => a + e, 0)).toBeCloseTo(0, 6);
    const g0 = err.reduce((a, e, i) => a + e * (x[i]?.[0] ?? 0), 0) + 2 * lambda * ((fit.weights[0] ?? 0) - 1);
    expect(g0).toBeCloseTo(0, 6);
  });

  it('leaves a feature the data never exercises at its prior', () => {
    const fit = fitLogistic(x, y, { priors: [0, 1.7], lambda: 1 });
    expect(fit.weights[1]).toBeCloseTo(1.7, 10);
  });

  it('holds a weight at its floor when the data would push it lower', () => {
    const flipped = y.map((v) => 1 - v);
    expect(fitLogistic(x, flipped, { priors: [1, 0], lambda: 0.01 }).weights[0]).toBeLessThan(0);
    expect(fitLogistic(x, flipped, { priors: [1, 0], lambda: 0.01, mins: [0, 0] }).weights[0]).toBe(0);
    // A length-style floor above zero: fitting may raise it, never lower it.
    expect(fitLogistic(x, flipped, { priors: [0.8, 0], lambda: 0.01, mins: [0.8, 0] }).weights[0]).toBe(0.8);
    expect(fitLogistic(x, y, { priors: [0.8, 0], lambda: 0.01, mins: [0.8, 0] }).weights[0]).toBeGreaterThan(3);
  });

  it('gives each group its own intercept and shares the weights', () => {
    // Same relation in both groups, but group 1 has a much higher base rate.
    const rows = [...x, ...x];
    const labels = [...y, ...y.map((v, i) => (i % 4 === 0 ? 1 : v))];
    const groups = [...x.map(() => 0), ...x.map(() => 1)];
    const fit = fitLogistic(rows, labels, { priors: [0, 0], lambda: 0.01, groups });
    expect(fit.intercepts).toHaveLength(2);
    expect(fit.intercepts[1] ?? 0).toBeGreaterThan(fit.intercepts[0] ?? 0);
    expect(fit.weights[0]).toBeGreaterThan(1);
  });
});

describe('tier thresholds from left-out scores', () => {
  const row = (strong: number, weak: number): Row => ({ item: { strong, weak } }) as Row;
  // Two sources weighing the same; the score is stored on the row's `x[0]`.
  const a = [row(10, 2), row(10, 9), row(10, 10), row(10, 10)];
  const b = [row(1, 0), row(1, 1)];
  const scores = new Map<Row, number>([[a[0] as Row, 0.9], [a[1] as Row, 0.5], [a[2] as Row, 0.2], [a[3] as Row, 0.1], [b[0] as Row, 0.8], [b[1] as Row, 0.3]]);
  const score = (r: Row) => scores.get(r) ?? 0;

  it('is the highest boundary reaching the target on average over the sources, midway to the next score', () => {
    // At t = 0.8: a reaches (10+9+10+10)/40 = 0.975, b reaches 1 → mean 0.9875 ≥ 0.95; at 0.9, b has 0 of 1.
    const t = thresholdFor([{ rows: a, score }, { rows: b, score }], 0.95);
    expect(t).toBe(0.65);
    expect(operatingPoint(a, score, t)).toEqual({ share: 0.25, ofAllStrong: 0.975 });
    // 0.99 needs a's second item too.
    expect(thresholdFor([{ rows: a, score }, { rows: b, score }], 0.99)).toBe(0.4);
  });
});
