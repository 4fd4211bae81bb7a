// Leave-one-source-out validation: every setting is fitted on all fit sources but one and judged
// on the one left out, by the share of requests it must send to the strong model to reach 95% of
// the strong model's quality, against prompt length doing the same.
import { extractFeatures, FEATURE_NAMES, type FeatureVector } from '../../src/classify/features.ts';
import { forEachContentText } from '../../src/classify/request.ts';
import { compileModel, normalizeFeature } from '../../src/classify/score.ts';
import { seededRandom } from '../local/sim/hash.ts';
import { fitLogistic } from './logistic.ts';
import { FEATURE_SPECS, isScored, type Setting } from './model-spec.ts';
import { compareRouting } from './routing-curve.ts';
import type { LabelledItem, LabelledSource } from './sources/labelled.ts';

/** Quality target: the share of all-strong quality the routing must reach. */
export const TARGET = 0.95;

export interface Row {
  source: string;
  item: LabelledItem;
  raw: FeatureVector;
  /** Every feature normalized to 0..1, in FEATURE_NAMES order. */
  x: number[];
  /** The baseline: prompt length in characters. */
  chars: number;
}

const NORMALIZER = compileModel({
  bias: 0,
  features: FEATURE_NAMES.map((name) => ({ name, normalize: FEATURE_SPECS[name].normalize, weight: 0 })),
});

export function normalized(f: FeatureVector): number[] {
  return FEATURE_NAMES.map((name, i) => normalizeFeature(NORMALIZER, i, f[name]));
}

/** Characters of text in the request: every message's text parts and the prompt strings. */
export function promptChars(request: LabelledItem['request']): number {
  let chars = 0;
  for (const m of request.messages ?? []) forEachContentText(m.content, (t) => (chars += t.length));
  const prompt = request.prompt;
  if (typeof prompt === 'string') chars += prompt.length;
  else if (Array.isArray(prompt)) for (const p of prompt as readonly unknown[]) if (typeof p === 'string') chars += p.length;
  return chars;
}

/** The source's items (or another judging of the same prompts, such as its single-pair items) as rows. */
export function toRows(source: LabelledSource, items: readonly LabelledItem[] = source.items): Row[] {
  return items.map((item) => {
    const raw = extractFeatures(item.request);
    return { source: source.name, item, raw, x: normalized(raw), chars: promptChars(item.request) };
  });
}

export interface FittedModel {
  /** FEATURE_NAMES order; 0 for a feature the setting does not score. */
  weights: number[];
  intercepts: Record<string, number>;
  /** The serving intercept: the mean of the per-source ones. */
  bias: number;
}

/** Fits `setting` on `rows`: one intercept per source, weights shared, each ≥ its floor and pulled to its prior. */
export function fitSetting(rows: readonly Row[], setting: Setting): FittedModel {
  const sources = [...new Set(rows.map((r) => r.source))];
  const columns = FEATURE_NAMES.map((name, j) => ({ name, j })).filter(({ name }) => isScored(name, setting));
  const floorOf = (name: string) => (name === 'promptTokens' ? setting.lengthFloor : 0);
  const fit = fitLogistic(
    rows.map((r) => columns.map(({ j }) => r.x[j] ?? 0)),
    rows.map((r) => (r.item.needsStrong ? 1 : 0)),
    {
      priors: columns.map(({ name }) => (name === 'promptTokens' ? setting.lengthFloor : FEATURE_SPECS[name].prior)),
      mins: columns.map(({ name }) => floorOf(name)),
      lambda: setting.lambda,
      groups: rows.map((r) => sources.indexOf(r.source)),
    },
  );
  const weights = new Array<number>(FEATURE_NAMES.length).fill(0);
  columns.forEach(({ j }, m) => {
    weights[j] = fit.weights[m] ?? 0;
  });
  const intercepts = Object.fromEntries(sources.map((s, k) => [s, fit.intercepts[k] ?? 0]));
  const bias = fit.intercepts.reduce((a, b) => a + b, 0) / Math.max(1, fit.intercepts.length);
  return { weights, intercepts, bias };
}

/** The model's score (probability, with the serving intercept) for a row. */
export function scoreRow(model: FittedModel, row: Row): number {
  let z = model.bias;
  model.weights.forEach((w, j) => {
    z += w * (row.x[j] ?? 0);
  });
  return 1 / (1 + Math.exp(-z));
}

/** Share to reach TARGET relative to random routing's share (1 = no better than random; undefined when random needs none). */
export function ratioVsRandom(rows: readonly Row[], score: (r: Row) => number): number | undefined {
  const c = compareRouting(rows.map((r) => ({ score: score(r), strong: r.item.strong, weak: r.item.weak })), TARGET);
  return c.randomShare > 0 ? c.classifierShare / c.randomShare : undefined;
}

export const byLength = (r: Row) => r.chars;

/** Scores of each fit source's rows by the model fitted on the other fit sources. */
export function leaveOneSourceOut(rowsBySource: ReadonlyMap<string, readonly Row[]>, fitSources: readonly string[], setting: Setting) {
  const out = new Map<string, { model: FittedModel; scores: Map<Row, number> }>();
  for (const left of fitSources) {
    const training = fitSources.filter((s) => s !== left).flatMap((s) => rowsBySource.get(s) ?? []);
    const model = fitSetting(training, setting);
    const rows = rowsBySource.get(left) ?? [];
    out.set(left, { model, scores: new Map(rows.map((r) => [r, scoreRow(model, r)])) });
  }
  return out;
}

export interface SettingResult {
  setting: Setting;
  /** Per left-out source: the model's ratio to random, prompt length's, and the difference (negative: better than length). */
  bySource: Record<string, { ratio: number; lengthRatio: number; diff: number }>;
  /** The largest difference over left-out sources: how much worse than length it does where it does worst. */
  worst: number;
  mean: number;
}

export function evaluateSetting(rowsBySource: ReadonlyMap<string, readonly Row[]>, fitSources: readonly string[], setting: Setting): SettingResult {
  const loso = leaveOneSourceOut(rowsBySource, fitSources, setting);
  const bySource: SettingResult['bySource'] = {};
  for (const source of fitSources) {
    const rows = rowsBySource.get(source) ?? [];
    const scores = loso.get(source)?.scores ?? new Map<Row, number>();
    const ratio = ratioVsRandom(rows, (r) => scores.get(r) ?? 0) ?? 1;
    const lengthRatio = ratioVsRandom(rows, byLength) ?? 1;
    bySource[source] = { ratio, lengthRatio, diff: ratio - lengthRatio };
  }
  const diffs = Object.values(bySource).map((b) => b.diff);
  return { setting, bySource, worst: Math.max(...diffs), mean: diffs.reduce((a, b) => a + b, 0) / diffs.length };
}

export interface Selection {
  /** The setting with the smallest worst-case difference. */
  best: SettingResult;
  /** Bootstrap standard error of that worst case. */
  standardError: number;
  /** The simplest setting within one standard error of the best: the one that ships. */
  chosen: SettingResult;
}

/** Simplest first: fewest cue families, then the most weight on the length prior, then the strongest pull to the priors. */
function simpler(a: Setting, b: Setting): number {
  return a.families.length - b.families.length || b.lengthFloor - a.lengthFloor || b.lambda - a.lambda;
}

/**
 * Robustness first: the best setting is the one whose worst left-out source loses least to (or
 * gains most on) prompt length. The measure is noisy (a few items decide a 95% share), so by the
 * one-standard-error rule the simplest setting whose worst case is within one bootstrap standard
 * error of the best one ships: extra cue families must earn their place by more than noise.
 */
export function chooseSetting(
  rowsBySource: ReadonlyMap<string, readonly Row[]>,
  fitSources: readonly string[],
  results: readonly SettingResult[],
  options: { resamples: number; seed: number },
): Selection {
  const ordered = [...results].sort((a, b) => a.worst - b.worst || a.mean - b.mean || simpler(a.setting, b.setting));
  const best = ordered[0];
  if (best === undefined) throw new Error('no setting to choose from');
  const standardError = worstCaseStandardError(rowsBySource, fitSources, best.setting, options);
  const within = results.filter((r) => r.worst <= best.worst + standardError);
  within.sort((a, b) => simpler(a.setting, b.setting) || a.worst - b.worst);
  return { best, standardError, chosen: within[0] ?? best };
}

/** Groups of rows (the turns of one question) for resampling. */
export function groupsOf(rows: readonly Row[]): Row[][] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const g = groups.get(r.item.group);
    if (g) g.push(r);
    else groups.set(r.item.group, [r]);
  }
  return [...groups.values()];
}

export function resample(groups: readonly (readonly Row[])[], random: () => number): Row[] {
  const sample: Row[] = [];
  for (let i = 0; i < groups.length; i++) sample.push(...(groups[Math.floor(random() * groups.length)] ?? []));
  return sample;
}

/** Standard deviation, over resamples of every left-out source, of the setting's worst-case difference. */
function worstCaseStandardError(
  rowsBySource: ReadonlyMap<string, readonly Row[]>,
  fitSources: readonly string[],
  setting: Setting,
  options: { resamples: number; seed: number },
): number {
  const loso = leaveOneSourceOut(rowsBySource, fitSources, setting);
  const random = seededRandom(options.seed);
  const groups = new Map(fitSources.map((s) => [s, groupsOf(rowsBySource.get(s) ?? [])]));
  const worst: number[] = [];
  for (let b = 0; b < options.resamples; b++) {
    let w = Number.NEGATIVE_INFINITY;
    for (const source of fitSources) {
      const sample = resample(groups.get(source) ?? [], random);
      const scores = loso.get(source)?.scores;
      const d = (ratioVsRandom(sample, (r) => scores?.get(r) ?? 0) ?? 1) - (ratioVsRandom(sample, byLength) ?? 1);
      w = Math.max(w, d);
    }
    worst.push(w);
  }
  const mean = worst.reduce((a, b) => a + b, 0) / worst.length;
  return Math.sqrt(worst.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, worst.length - 1));
}
