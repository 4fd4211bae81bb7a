import { FEATURE_NAMES, type FeatureName, type FeatureVector } from './features.ts';
import type { Normalization } from './weights.ts';

/** Weights laid out in FEATURE_NAMES order with normalization constants precomputed. */
export interface CompiledModel {
  readonly bias: number;
  readonly weights: Float64Array;
  /** Per feature: kind code (0 log-range, 1 log1p-cap, 2 linear), offset and scale. */
  readonly kinds: Uint8Array;
  readonly offsets: Float64Array;
  readonly scales: Float64Array;
}

export interface ModelWeights {
  bias: number;
  features: readonly { name: FeatureName; normalize: Normalization; weight: number }[];
}

export function compileModel(w: ModelWeights): CompiledModel {
  const n = FEATURE_NAMES.length;
  const model = {
    bias: w.bias,
    weights: new Float64Array(n),
    kinds: new Uint8Array(n),
    offsets: new Float64Array(n),
    scales: new Float64Array(n),
  };
  FEATURE_NAMES.forEach((name, i) => {
    const f = w.features.find((x) => x.name === name);
    if (f === undefined) throw new Error(`weights have no feature "${name}"`);
    model.weights[i] = f.weight;
    const [kind, offset, scale] = normalizationConstants(f.normalize);
    model.kinds[i] = kind;
    model.offsets[i] = offset;
    model.scales[i] = scale;
  });
  return model;
}

function normalizationConstants(n: Normalization): [number, number, number] {
  switch (n.kind) {
    case 'log-range':
      return [0, Math.log(n.min), 1 / (Math.log(n.max) - Math.log(n.min))];
    case 'log1p-cap':
      return [1, 0, 1 / Math.log1p(n.cap)];
    case 'linear':
      return [2, 0, 1 / n.max];
  }
}

/** Feature i of `features` mapped to 0..1 as the model prescribes. */
export function normalizeFeature(model: CompiledModel, i: number, raw: number): number {
  const kind = model.kinds[i];
  const offset = model.offsets[i] ?? 0;
  const scale = model.scales[i] ?? 0;
  let x: number;
  if (kind === 0) x = (Math.log(Math.max(raw, Number.MIN_VALUE)) - offset) * scale;
  else if (kind === 1) x = Math.log1p(Math.max(raw, 0)) * scale;
  else x = raw * scale;
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** P(the request needs the strong model), by the logistic model: sigmoid(bias + Σ wᵢ·xᵢ). */
export function scoreFeatures(model: CompiledModel, features: FeatureVector): number {
  let z = model.bias;
  for (let i = 0; i < FEATURE_NAMES.length; i++) {
    const name = FEATURE_NAMES[i];
    const weight = model.weights[i] ?? 0;
    if (name === undefined || weight === 0) continue;
    z += weight * normalizeFeature(model, i, features[name]);
  }
  return 1 / (1 + Math.exp(-z));
}

/** One feature's part in a score: its raw value, its 0..1 value and what it added to the logit. */
export interface ScoreTerm {
  feature: FeatureName;
  raw: number;
  normalized: number;
  weight: number;
  contribution: number;
}

export interface ScoreExplanation {
  bias: number;
  /** Scored features (weight ≠ 0), largest contribution first. */
  terms: ScoreTerm[];
  /** Features detected but not scored (weight 0, so contribution 0), in feature order: what calibration left out. */
  unscored: { feature: FeatureName; raw: number }[];
  /** bias + Σ contributions. */
  logit: number;
  score: number;
}

/** The score taken apart: why a request scored what it did. */
export function explainScore(model: CompiledModel, features: FeatureVector): ScoreExplanation {
  const terms: ScoreTerm[] = [];
  const unscored: ScoreExplanation['unscored'] = [];
  // Summed in feature order, as scoreFeatures does, so the two agree to the last bit.
  let logit = model.bias;
  FEATURE_NAMES.forEach((feature, i) => {
    const weight = model.weights[i] ?? 0;
    if (weight === 0) {
      unscored.push({ feature, raw: features[feature] });
      return;
    }
    const normalized = normalizeFeature(model, i, features[feature]);
    logit += weight * normalized;
    terms.push({ feature, raw: features[feature], normalized, weight, contribution: weight * normalized });
  });
  terms.sort((a, b) => b.contribution - a.contribution);
  return { bias: model.bias, terms, unscored, logit, score: 1 / (1 + Math.exp(-logit)) };
}
