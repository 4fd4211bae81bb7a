// Per-source evaluation of a routing score against prompt length and random routing: the share
// of requests sent to the strong model to reach 95% of its quality, the ratios the issue asks
// for, and percentile bootstrap intervals over the source's questions.
import { seededRandom } from '../local/sim/hash.ts';
import { byLength, groupsOf, ratioVsRandom, resample, type Row, TARGET } from './loso.ts';
import { auc, compareRouting } from './routing-curve.ts';

export type Interval = [number, number];

export interface SourceEvaluation {
  source: string;
  items: number;
  groups: number;
  positives: number;
  allStrong: number;
  allWeak: number;
  /** Share sent to the strong model to reach TARGET of its quality. */
  share: { classifier: number; length: number; random: number };
  auc: { classifier: number; length: number };
  /** classifier share ÷ random share, length share ÷ random share, classifier share ÷ length share. */
  ratio: { classifier: number; length: number; classifierVsLength: number };
  ci: { classifier: Interval; length: Interval; classifierVsLength: Interval; difference: Interval };
  /** Resamples in which random routing needed no share at all (the ratio is undefined there; left out). */
  degenerate: number;
  resamples: number;
}

const percentile = (sorted: readonly number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? Number.NaN;
const interval = (xs: number[]): Interval => {
  const s = [...xs].sort((a, b) => a - b);
  return [percentile(s, 0.025), percentile(s, 0.975)];
};

export function evaluateSource(source: string, rows: readonly Row[], score: (r: Row) => number, options: { resamples: number; seed: number }): SourceEvaluation {
  const scored = (by: (r: Row) => number) => compareRouting(rows.map((r) => ({ score: by(r), strong: r.item.strong, weak: r.item.weak })), TARGET);
  const c = scored(score);
  const l = scored(byLength);
  const labels = rows.map((r) => r.item.needsStrong);
  const random = seededRandom(options.seed);
  const groups = groupsOf(rows);
  const samples = { classifier: [] as number[], length: [] as number[], classifierVsLength: [] as number[], difference: [] as number[] };
  let degenerate = 0;
  for (let b = 0; b < options.resamples; b++) {
    const sample = resample(groups, random);
    const rc = ratioVsRandom(sample, score);
    const rl = ratioVsRandom(sample, byLength);
    if (rc === undefined || rl === undefined) {
      degenerate++;
      continue;
    }
    samples.classifier.push(rc);
    samples.length.push(rl);
    if (rl > 0) samples.classifierVsLength.push(rc / rl);
    samples.difference.push(rc - rl);
  }
  return {
    source,
    items: rows.length,
    groups: groups.length,
    positives: labels.filter(Boolean).length,
    allStrong: c.allStrong,
    allWeak: c.allWeak,
    share: { classifier: c.classifierShare, length: l.classifierShare, random: c.randomShare },
    auc: { classifier: auc(rows.map(score), labels), length: auc(rows.map(byLength), labels) },
    ratio: {
      classifier: c.classifierShare / c.randomShare,
      length: l.classifierShare / l.randomShare,
      classifierVsLength: l.classifierShare > 0 ? c.classifierShare / l.classifierShare : Number.NaN,
    },
    ci: {
      classifier: interval(samples.classifier),
      length: interval(samples.length),
      classifierVsLength: interval(samples.classifierVsLength),
      difference: interval(samples.difference),
    },
    degenerate,
    resamples: options.resamples,
  };
}

export type Verdict = 'beats' | 'ties' | 'loses, within the interval of length' | 'loses beyond the interval of length';

/**
 * How the classifier compares with prompt length on one source. A difference in ratio under
 * TIE_RATIO (about one item in a thousand) is a tie; a loss "within the interval" stays at or
 * below the upper end of length's own bootstrap interval.
 */
export function verdict(e: SourceEvaluation): Verdict {
  const d = e.ratio.classifier - e.ratio.length;
  if (Math.abs(d) < TIE_RATIO) return 'ties';
  if (d < 0) return 'beats';
  return e.ratio.classifier <= e.ci.length[1] ? 'loses, within the interval of length' : 'loses beyond the interval of length';
}

export const TIE_RATIO = 0.005;

/**
 * Tier thresholds from scores the model did not fit (each fit source scored by the model fitted
 * without it): the highest score t such that sending every request scoring ≥ t to the strong
 * model reaches `target` of all-strong quality on average over the sources, each weighing the same.
 */
export function thresholdFor(bySource: readonly { rows: readonly Row[]; score: (r: Row) => number }[], target: number): number {
  const candidates = [...new Set(bySource.flatMap(({ rows, score }) => rows.map(score)))].sort((a, b) => b - a);
  const quality = (t: number) => {
    let sum = 0;
    for (const { rows, score } of bySource) {
      let q = 0;
      let strong = 0;
      for (const r of rows) {
        q += score(r) >= t ? r.item.strong : r.item.weak;
        strong += r.item.strong;
      }
      sum += strong > 0 ? q / strong : 1;
    }
    return sum / bySource.length;
  };
  // Quality only grows as t falls: the first (highest) candidate reaching the target is the
  // boundary, placed midway to the next score down (rounded down, so it never leaves t out).
  for (let k = 0; k < candidates.length; k++) {
    const t = candidates[k] ?? 0;
    if (quality(t) >= target) return Math.floor(((t + (candidates[k + 1] ?? 0)) / 2) * 1000) / 1000;
  }
  return 0;
}

/** Share sent to the strong model and quality reached (of all-strong) on a source at a threshold. */
export function operatingPoint(rows: readonly Row[], score: (r: Row) => number, threshold: number) {
  let sent = 0;
  let q = 0;
  let strong = 0;
  for (const r of rows) {
    const up = score(r) >= threshold;
    if (up) sent++;
    q += up ? r.item.strong : r.item.weak;
    strong += r.item.strong;
  }
  return { share: sent / rows.length, ofAllStrong: strong > 0 ? q / strong : 1 };
}
