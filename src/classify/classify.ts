import { scoreTierIndex } from './choose-tier.ts';
import { extractFeatures, type FeatureVector } from './features.ts';
import { compileModel, explainScore, type ScoreExplanation, scoreFeatures } from './score.ts';
import { SHIPPED_WEIGHTS } from './shipped-weights.ts';
import { firedSignals, type SignalName } from './signals.ts';
import { DEFAULT_TIER_RULES, type TierRules } from './tier-rules.ts';

/** What the classifier says about one request. */
export interface ClassifyProfile {
  /** 0..1, higher when the request needs a stronger model. */
  score: number;
  /** The tier the score alone earns under the rules (hints are applied by chooseTier). */
  tier: string;
  /** Names of the signals that fired, e.g. `code`, `math`, `long-prompt`. */
  signals: SignalName[];
  /** The raw feature values the score was computed from (for calibration and debugging). */
  features: FeatureVector;
}

export interface ClassifyOptions {
  rules?: TierRules;
}

const SHIPPED_MODEL = compileModel(SHIPPED_WEIGHTS);

/**
 * Pure and synchronous: no I/O, no model weights beyond a few numbers. Total over any JSON value
 * (a chat or completion body, or anything else a client sent): fields of the wrong type read as
 * absent. Reads at most a fixed budget of the text (read-budget.ts).
 */
export function classify(request: unknown, options: ClassifyOptions = {}): ClassifyProfile {
  const rules = options.rules ?? DEFAULT_TIER_RULES;
  const features = extractFeatures(request);
  const score = scoreFeatures(SHIPPED_MODEL, features);
  const tier = rules.tiers[scoreTierIndex(score, rules)] ?? rules.tiers[0] ?? '';
  return { score, tier, signals: firedSignals(features), features };
}

/** Each scored feature's part in the shipped score of these features: why a request scored what it did. */
export function explainClassification(features: FeatureVector): ScoreExplanation {
  return explainScore(SHIPPED_MODEL, features);
}
