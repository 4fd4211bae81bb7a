// What the calibration may fit: how each feature is normalized, its hand-set prior, and which
// family of cues it belongs to. Prompt length is the prior every score starts from; the cue
// families are what leave-one-source-out validation may add on top of it.
import type { FeatureName } from '../../src/classify/features.ts';
import type { Normalization } from '../../src/classify/weights.ts';

/**
 * `length`: the size prior, always scored, its weight held at or above a floor.
 * `structural`: cues read from the request's structure (tools, a JSON schema, fenced code, turns);
 * always scored, since they are evidence wherever they occur.
 * The rest are cue families scored only when validation across sources chooses them: lexical
 * ones (which kind of task) and `task-structure` (how much one task asks: nesting, constructs,
 * enumerated sub-tasks, format demands, quantities).
 */
export const FAMILIES = ['length', 'structural', 'code-words', 'math', 'instructions', 'language', 'output-size', 'task-structure'] as const;
export type Family = (typeof FAMILIES)[number];
// `task-structure` (third run, pre-registered in PREREGISTRATION.md) is last, so the first 640 settings stay those of the runs before.
export const OPTIONAL_FAMILIES = ['code-words', 'math', 'instructions', 'language', 'output-size', 'task-structure'] as const satisfies readonly Family[];
export type OptionalFamily = (typeof OPTIONAL_FAMILIES)[number];

export interface FeatureSpec {
  normalize: Normalization;
  /** Logit per unit of the 0..1 value before fitting; the penalty pulls the weight back to it. */
  prior: number;
  family: Family;
}

/** Prompt tokens, 1 to 2^20, on a log scale: every doubling of the prompt weighs the same. */
export const LENGTH_NORMALIZATION: Normalization = { kind: 'log-range', min: 1, max: 1_048_576 };

export const FEATURE_SPECS: Record<FeatureName, FeatureSpec> = {
  // The length prior's weight is a setting (the floor), chosen by validation.
  promptTokens: { normalize: LENGTH_NORMALIZATION, prior: 0, family: 'length' },
  codeBlocks: { normalize: { kind: 'log1p-cap', cap: 4 }, prior: 1.0, family: 'structural' },
  depth: { normalize: { kind: 'log1p-cap', cap: 20 }, prior: 0.5, family: 'structural' },
  tools: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 1.5, family: 'structural' },
  structuredOutput: { normalize: { kind: 'linear', max: 1 }, prior: 1.0, family: 'structural' },
  code: { normalize: { kind: 'log1p-cap', cap: 20 }, prior: 1.5, family: 'code-words' },
  math: { normalize: { kind: 'log1p-cap', cap: 12 }, prior: 1.5, family: 'math' },
  reasoning: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 1.0, family: 'instructions' },
  constraints: { normalize: { kind: 'log1p-cap', cap: 8 }, prior: 0.8, family: 'instructions' },
  nonEnglish: { normalize: { kind: 'linear', max: 1 }, prior: 1.0, family: 'language' },
  outputTokens: { normalize: { kind: 'log-range', min: 64, max: 8192 }, prior: 0.8, family: 'output-size' },
  codeNesting: { normalize: { kind: 'log1p-cap', cap: 6 }, prior: 0.5, family: 'task-structure' },
  codeConstructs: { normalize: { kind: 'log1p-cap', cap: 12 }, prior: 0.5, family: 'task-structure' },
  subtasks: { normalize: { kind: 'log1p-cap', cap: 12 }, prior: 0.5, family: 'task-structure' },
  formatDemands: { normalize: { kind: 'log1p-cap', cap: 6 }, prior: 0.5, family: 'task-structure' },
  quantities: { normalize: { kind: 'log1p-cap', cap: 24 }, prior: 0.5, family: 'task-structure' },
};

/** One configuration the validation compares. */
export interface Setting {
  /** Lexical cue families scored on top of length and the structural cues. */
  families: readonly OptionalFamily[];
  /** The least weight of the length term (logit over 1 → 2^20 tokens, i.e. ×20 per doubling). */
  lengthFloor: number;
  /** Pull of every weight towards its prior (the length weight towards its floor). */
  lambda: number;
}

export const LENGTH_FLOORS = [0.5, 1, 2, 4, 8] as const;
export const LAMBDAS = [1, 3, 10, 30] as const;

/** Every subset of the optional families × every floor × every λ. */
export function allSettings(): Setting[] {
  const settings: Setting[] = [];
  for (let mask = 0; mask < 1 << OPTIONAL_FAMILIES.length; mask++) {
    const families = OPTIONAL_FAMILIES.filter((_, i) => mask & (1 << i));
    for (const lengthFloor of LENGTH_FLOORS) for (const lambda of LAMBDAS) settings.push({ families, lengthFloor, lambda });
  }
  return settings;
}

export function isScored(feature: FeatureName, setting: Setting): boolean {
  const family = FEATURE_SPECS[feature].family;
  return family === 'length' || family === 'structural' || (setting.families as readonly Family[]).includes(family);
}

export function describeSetting(s: Setting): string {
  const cues = s.families.length === 0 ? 'structural cues only' : `structural + ${s.families.join(', ')}`;
  return `${cues}; length floor ${s.lengthFloor}; λ ${s.lambda}`;
}
