import type { GpuShape } from './gpus.ts';
import type { Precision } from './memory.ts';

import type { Traffic } from './decision-matrix.ts';

export { TRAFFIC_PATTERNS, type Traffic } from './decision-matrix.ts';

/** Typical token counts per request for the prompt-length profiles the plan understands. */
export const PROMPT_PROFILES = {
  short: { promptTokens: 256, outputTokens: 256 },
  mixed: { promptTokens: 1024, outputTokens: 256 },
  long: { promptTokens: 8192, outputTokens: 256 },
} as const;
export type PromptProfile = keyof typeof PROMPT_PROFILES;
export const PROMPT_PROFILE_NAMES = Object.keys(PROMPT_PROFILES) as PromptProfile[];

/** Prompts at least this long make prefill interfere with decode (the "long prompts" row). */
export const LONG_PROMPT_TOKENS = 4096;

/** Everything the decision needs; `planInput()` fills the defaults. */
export interface PlanInput {
  /** Parameters, in billions. */
  paramsB: number;
  precision: Precision;
  gpu: GpuShape;
  gpusPerNode: number;
  /** The decision matrix's traffic shape. */
  traffic: Traffic;
  /** Peak requests per second the model must serve (per region). */
  rps: number;
  promptTokens: number;
  outputTokens: number;
  /** vLLM --max-model-len: one sequence of this length must always fit. */
  maxModelLen: number;
  /** Latency targets (p90), when the workload has them. */
  ttftMs?: number;
  itlMs?: number;
}
