// Offline calibration of the request classifier (issue 4): fits the logistic weights over the
// signal features from MT-Bench's judged strong/weak answers, picks the tier thresholds, and
// measures routing on questions the fit never saw. Writes src/classify/weights.json and
// infra/classifier/CALIBRATION.md.
//
//   node_modules/.bin/node infra/classifier/fit.ts
//   SWITCHYARD_CLASSIFIER_DATA=/path/to/classifier-dev node_modules/.bin/node infra/classifier/fit.ts
import { seededRandom } from '../local/sim/hash.ts';
import { statSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFeatures, FEATURE_NAMES, type FeatureName, type FeatureVector } from '../../src/classify/features.ts';
import { compileModel, normalizeFeature } from '../../src/classify/score.ts';
import { firedSignals } from '../../src/classify/signals.ts';
import type { ClassifierWeights, Normalization } from '../../src/classify/weights.ts';
import { ClassifierWeightsSchema } from '../../src/classify/weights.ts';
import {
  DATA_FILES, displayPath, type LabeledItem, loadArenaHard, loadMtBench, loadSemanticRouter, REPO_ROOT, resolveDataDir,
} from './datasets.ts';
import { fitLogistic, type LogisticFit, logLoss, predict } from './logistic.ts';
import { renderReport, type Report } from './report.ts';
import { auc, compareRouting, qualityCurve, type ScoredItem } from './routing-curve.ts';

/** How each raw feature is normalized, and the prior its weight is pulled towards (logit per unit of 0..1). */
const FEATURE_SPECS: Record<FeatureName, { normalize: Normalization; prior: number }> = {
  promptTokens: { normalize: { kind: 'log-range', min: 16, max: 16384 }, prior: 1.0 },
  code: { normalize: { kind: 'log1p-cap', cap: 20 }, prior: 1.5 },
  math: { normalize: { kind: 'log1p-cap', cap: 12 }, prior: 1.5 },
  reasoning: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 1.0 },
  constraints: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 0.8 },
  depth: { normalize: { kind: 'log1p-cap', cap: 20 }, prior: 0.5 },
  tools: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 1.5 },
  structuredOutput: { normalize: { kind: 'linear', max: 1 }, prior: 1.0 },
  outputTokens: { normalize: { kind: 'log-range', min: 64, max: 8192 }, prior: 0.8 },
  nonEnglish: { normalize: { kind: 'linear', max: 1 }, prior: 1.0 },
};

/** "Needs the strong model": the weak model's judged score is at least this far below the strong one's (scale 1–10). */
const LABEL_GAP = 2;
/** Questions per MT-Bench category (of 10) held out from fitting. */
const HELD_OUT_PER_CATEGORY = 3;
const LAMBDAS = [0.1, 0.3, 1, 3, 10, 30];
const FOLDS = 5;
const BOOTSTRAP = 2000;
/** Quality targets (fraction of all-large quality) that place the tier boundaries on the fit split. */
const LARGE_TARGET = 0.95;
const MEDIUM_TARGET = 0.98;

const PRIORS = FEATURE_NAMES.map((name) => FEATURE_SPECS[name].prior);
const NORMALIZER = compileModel({
  bias: 0,
  features: FEATURE_NAMES.map((name) => ({ name, normalize: FEATURE_SPECS[name].normalize, weight: 0 })),
});

function normalized(f: FeatureVector): number[] {
  return FEATURE_NAMES.map((name, i) => normalizeFeature(NORMALIZER, i, f[name]));
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}


interface Row extends LabeledItem {
  raw: FeatureVector;
  x: number[];
  y: number;
}

const label = (it: LabeledItem) => (it.strong - it.weak >= LABEL_GAP ? 1 : 0);

/** Within each category, questions ordered by a hash of their id: a fixed, data-independent order. */
function hashRank(rows: readonly Row[]): Map<number, number> {
  const byCategory = new Map<string, number[]>();
  for (const r of rows) {
    const ids = byCategory.get(r.category) ?? [];
    if (!ids.includes(r.questionId)) ids.push(r.questionId);
    byCategory.set(r.category, ids);
  }
  const rank = new Map<number, number>();
  for (const ids of byCategory.values()) {
    ids.sort((a, b) => fnv1a(`mt-bench:${a}`) - fnv1a(`mt-bench:${b}`)).forEach((id, i) => rank.set(id, i));
  }
  return rank;
}

function fitRows(rows: readonly Row[], lambda: number, nonNegative = true): LogisticFit {
  return fitLogistic(rows.map((r) => r.x), rows.map((r) => r.y), { priors: PRIORS, lambda, nonNegative });
}

/** Out-of-fold scores: each row scored by a model fitted on the folds without its question. */
function outOfFold(rows: readonly Row[], rank: Map<number, number>, lambda: number): Map<Row, number> {
  const scores = new Map<Row, number>();
  for (let k = 0; k < FOLDS; k++) {
    const inFold = (r: Row) => (rank.get(r.questionId) ?? 0) % FOLDS === k;
    const model = fitRows(rows.filter((r) => !inFold(r)), lambda);
    for (const r of rows.filter(inFold)) scores.set(r, predict(model, r.x));
  }
  return scores;
}

/** λ by grouped k-fold CV log-loss (folds by question, never splitting a question's turns). */
function chooseLambda(rows: readonly Row[], rank: Map<number, number>) {
  const losses: Record<string, number> = {};
  let best = { lambda: LAMBDAS[0] ?? 1, loss: Number.POSITIVE_INFINITY, oof: new Map<Row, number>() };
  for (const lambda of LAMBDAS) {
    const oof = outOfFold(rows, rank, lambda);
    const loss = logLoss(rows.map((r) => oof.get(r) ?? 0.5), rows.map((r) => r.y));
    losses[String(lambda)] = loss;
    if (loss < best.loss) best = { lambda, loss, oof };
  }
  return { lambda: best.lambda, losses, oof: best.oof };
}

/**
 * The score boundary whose "score ≥ t → strong model" routing first reaches `fraction` of the
 * all-strong quality on `scored`: midway between the last score sent to the strong model and the next.
 */
function thresholdFor(scored: readonly ScoredItem[], fraction: number): number {
  const sorted = [...scored].sort((a, b) => b.score - a.score);
  const target = (fraction * sum(sorted.map((it) => it.strong))) / sorted.length;
  const reached = qualityCurve(sorted).find((p) => p.quality >= target);
  if (reached === undefined) return 0;
  if (reached.share === 0) return 1;
  const k = Math.round(reached.share * sorted.length);
  const midway = ((sorted[k - 1]?.score ?? 0) + (sorted[k]?.score ?? 0)) / 2;
  return Math.floor(midway * 1000) / 1000;
}

function scoredBy(rows: readonly Row[], score: (r: Row) => number): ScoredItem[] {
  return rows.map((r) => ({ score: score(r), strong: r.strong, weak: r.weak }));
}

function evaluate(rows: readonly Row[], score: (r: Row) => number) {
  const scored = scoredBy(rows, score);
  return {
    auc: auc(scored.map((s) => s.score), rows.map((r) => r.y === 1)),
    ...compareRouting(scored, LARGE_TARGET),
  };
}

/** Percentile bootstrap over held-out questions (both turns of a question move together). */
function bootstrap(rows: readonly Row[], score: (r: Row) => number) {
  const byQuestion = new Map<number, Row[]>();
  for (const r of rows) byQuestion.set(r.questionId, [...(byQuestion.get(r.questionId) ?? []), r]);
  const groups = [...byQuestion.values()];
  const random = seededRandom(20261124);
  const aucs: number[] = [];
  const shares: number[] = [];
  const savings: number[] = [];
  const outcome = { fewer: 0, same: 0, more: 0 };
  for (let b = 0; b < BOOTSTRAP; b++) {
    const sample: Row[] = [];
    for (let g = 0; g < groups.length; g++) sample.push(...(groups[Math.floor(random() * groups.length)] ?? []));
    const e = evaluate(sample, score);
    if (!Number.isNaN(e.auc)) aucs.push(e.auc);
    shares.push(e.classifierShare);
    savings.push(e.randomShare - e.classifierShare);
    // "same" is mostly resamples where the small tier alone already reaches the target (both shares 0).
    const d = e.randomShare - e.classifierShare;
    outcome[d > 1e-9 ? 'fewer' : d < -1e-9 ? 'more' : 'same']++;
  }
  const ci = (xs: number[]): [number, number] => {
    const s = [...xs].sort((a, b) => a - b);
    return [s[Math.floor(0.025 * (s.length - 1))] ?? Number.NaN, s[Math.ceil(0.975 * (s.length - 1))] ?? Number.NaN];
  };
  return { auc: ci(aucs), classifierShare: ci(shares), saving: ci(savings), outcome, resamples: BOOTSTRAP };
}

function fileInfo(dir: string, file: string) {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  const records = file.endsWith('.json') ? (JSON.parse(text) as unknown[]).length : text.split('\n').filter((l) => l.trim()).length;
  return { path: displayPath(dir, file), bytes: statSync(path).size, records };
}

function main(): void {
  const dir = resolveDataDir();
  const mt = loadMtBench(dir);
  const rows: Row[] = mt.items.map((it) => {
    const raw = extractFeatures(it.request);
    return { ...it, raw, x: normalized(raw), y: label(it) };
  });
  const rank = hashRank(rows);
  const heldOut = rows.filter((r) => (rank.get(r.questionId) ?? 0) < HELD_OUT_PER_CATEGORY);
  const fit = rows.filter((r) => (rank.get(r.questionId) ?? 0) >= HELD_OUT_PER_CATEGORY);

  // Everything below up to "held-out" sees the fit split only.
  const fitRank = new Map([...rank].map(([id, r]) => [id, r - HELD_OUT_PER_CATEGORY]));
  const { lambda, losses, oof: fitOof } = chooseLambda(fit, fitRank);
  const model = fitRows(fit, lambda);
  const unconstrained = fitRows(fit, lambda, false);
  const scoreOf = (m: LogisticFit) => (r: Row) => predict(m, r.x);
  // Thresholds from out-of-fold scores: in-sample scores are optimistic and would set them too high.
  const fitScored = scoredBy(fit, (r) => fitOof.get(r) ?? 0);
  const large = thresholdFor(fitScored, LARGE_TARGET);
  const medium = Math.min(thresholdFor(fitScored, MEDIUM_TARGET), large);

  // Held-out: the fitted model and thresholds, applied once.
  const held = evaluate(heldOut, scoreOf(model));
  const heldCi = bootstrap(heldOut, scoreOf(model));
  const priorOnly: LogisticFit = { bias: 0, weights: [...PRIORS] };
  const baselines = {
    priorsUnfitted: evaluate(heldOut, scoreOf(priorOnly)),
    promptLengthOnly: evaluate(heldOut, (r) => r.raw.promptTokens),
  };
  const heldScores = heldOut.map(scoreOf(model));
  const atThreshold = (t: number) => {
    const routed = heldOut.filter((_, i) => (heldScores[i] ?? 0) >= t);
    const quality = heldOut.reduce((s, r, i) => s + ((heldScores[i] ?? 0) >= t ? r.strong : r.weak), 0) / heldOut.length;
    return { threshold: t, share: routed.length / heldOut.length, quality, ofAllStrong: quality / held.allStrong };
  };
  const operating = { large: atThreshold(large), mediumOrLarge: atThreshold(medium) };

  // A second, larger-sample estimate: out-of-fold scores over all questions (5 folds by question).
  const allOof = outOfFold(rows, rank, lambda);
  const crossValidated = evaluate(rows, (r) => allOof.get(r) ?? 0);

  const weights: ClassifierWeights = {
    model: 'logistic',
    bias: round(model.bias, 4),
    features: FEATURE_NAMES.map((name, j) => {
      const values = fit.map((r) => r.x[j] ?? 0);
      const varies = Math.max(...values) - Math.min(...values) > 1e-9;
      return {
        name,
        normalize: FEATURE_SPECS[name].normalize,
        weight: round(model.weights[j] ?? 0, 4),
        prior: FEATURE_SPECS[name].prior,
        source: varies ? ('fitted' as const) : ('prior' as const),
      };
    }),
    thresholds: [medium, large],
    provenance: {
      script: 'infra/classifier/fit.ts',
      date: new Date().toISOString().slice(0, 10),
      data: Object.values(DATA_FILES).map((f) => fileInfo(dir, f)),
      fittedOn: `MT-Bench: ${mt.judge}-judged scores of ${mt.strongModel} (strong) and ${mt.weakModel} (weak)`,
      label: `needs strong model: weak score <= strong score - ${LABEL_GAP} (scale 1-10), per question turn`,
      split: {
        rule: `per category, questions ordered by FNV-1a("mt-bench:<id>"); the first ${HELD_OUT_PER_CATEGORY} held out`,
        fit: { questions: new Set(fit.map((r) => r.questionId)).size, items: fit.length, positives: sum(fit.map((r) => r.y)) },
        heldOut: {
          questions: new Set(heldOut.map((r) => r.questionId)).size,
          items: heldOut.length,
          positives: sum(heldOut.map((r) => r.y)),
        },
      },
      lambda,
      featureSupport: Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, fit.filter((r) => (r.x[j] ?? 0) > 0).length])),
      thresholdTargets: { medium: MEDIUM_TARGET, large: LARGE_TARGET, scores: 'out-of-fold on the fit split' },
      heldOut: {
        auc: round(held.auc, 3),
        largeShareFor95: round(held.classifierShare, 3),
        randomShareFor95: round(held.randomShare, 3),
      },
    },
  };
  ClassifierWeightsSchema.parse(weights);
  writeFileSync(join(REPO_ROOT, 'src/classify/weights.json'), `${JSON.stringify(weights, null, 2)}\n`);

  const detectorChecks = [...loadArenaHard(dir), ...loadSemanticRouter(dir)].map((p) => {
    const f = extractFeatures(p.request);
    return { source: p.source, category: p.category, signals: firedSignals(f), score: predict(model, normalized(f)) };
  });

  const report: Report = {
    weights,
    unconstrainedWeights: unconstrained.weights.map((w) => round(w, 4)),
    mt,
    labelGap: LABEL_GAP,
    lambda,
    lambdaLosses: losses,
    fitCount: fit.length,
    heldOut: held,
    heldOutCi: heldCi,
    baselines,
    operating,
    crossValidated,
    fitInSample: evaluate(fit, scoreOf(model)),
    heldOutCurve: qualityCurve(scoredBy(heldOut, scoreOf(model))),
    byCategory: categoryTable(rows, (r) => predict(model, r.x), heldOut),
    detectorChecks,
  };
  writeFileSync(join(REPO_ROOT, 'infra/classifier/CALIBRATION.md'), renderReport(report));
  console.log(
    `held-out (${held.items} items): AUC ${held.auc.toFixed(3)}; large-tier share for 95% quality ` +
      `${pct(held.classifierShare)} (classifier) vs ${pct(held.randomShare)} (random); thresholds ${medium} / ${large}`,
  );
  console.log('wrote src/classify/weights.json and infra/classifier/CALIBRATION.md');
}

function categoryTable(rows: readonly Row[], score: (r: Row) => number, heldOut: readonly Row[]) {
  const held = new Set(heldOut);
  const cats = [...new Set(rows.map((r) => r.category))].sort();
  return cats.map((category) => {
    const rs = rows.filter((r) => r.category === category);
    return {
      category,
      items: rs.length,
      positives: sum(rs.map((r) => r.y)),
      meanGap: sum(rs.map((r) => r.strong - r.weak)) / rs.length,
      meanScore: sum(rs.map(score)) / rs.length,
      heldOutItems: rs.filter((r) => held.has(r)).length,
    };
  });
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const round = (x: number, digits: number) => Number(x.toFixed(digits));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

main();
