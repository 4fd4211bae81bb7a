// Deterministic output: the same (seed, model, prompt) always yields the same words, so tests
// and caches can compare answers, while different prompts get different text.
import { chainHash53, seededRandom, stringHash53 } from './hash.ts';

/** The most a request may generate, whatever max_tokens asks: keeps one response small. */
export const MAX_GENERATED_TOKENS = 4096;
/** vLLM's default when neither max_tokens nor max_completion_tokens is given. */
export const DEFAULT_MAX_TOKENS = 16;
/** Share of requests that end early with `stop`, as if the model emitted end-of-sequence. */
const EARLY_STOP_RATE = 0.2;

const WORDS = [
  'the', 'model', 'serves', 'tokens', 'across', 'regions', 'while', 'cache', 'blocks', 'stay',
  'warm', 'and', 'requests', 'flow', 'through', 'edge', 'gateway', 'toward', 'clusters', 'of',
  'accelerators', 'that', 'batch', 'prompts', 'together', 'so', 'latency', 'remains', 'low',
  'under', 'load', 'when', 'traffic', 'grows', 'replicas', 'scale', 'out', 'each', 'prefix',
  'shared', 'by', 'many', 'users', 'saves', 'compute', 'a', 'scheduler', 'picks', 'best',
  'endpoint', 'for', 'every', 'call', 'with', 'health', 'signals', 'from', 'metrics', 'it',
  'reads', 'often', 'quietly', 'answers', 'quickly',
] as const;

export type FinishReason = 'stop' | 'length';

export interface PlannedOutput {
  /** Text of each output token, in order (a leading space marks a word boundary). */
  readonly pieces: readonly string[];
  readonly finishReason: FinishReason;
}

export interface OutputRequest {
  readonly seed: number;
  readonly model: string;
  readonly promptTokens: readonly number[];
  /** Output budget after the default and the cap were applied. */
  readonly maxTokens: number;
  /** vLLM `min_tokens`: no early stop before this many. */
  readonly minTokens: number;
  /** vLLM `ignore_eos`: always run to max_tokens. */
  readonly ignoreEos: boolean;
  /** The request's own `seed`, which varies the text like sampling with that seed would. */
  readonly requestSeed?: number;
  /** Which of the request's `n` choices (each its own sequence); 0 when absent. */
  readonly choice?: number;
}

/** Fields that decide the words a plan draws. */
type PlanSeed = Pick<OutputRequest, 'seed' | 'model' | 'promptTokens' | 'requestSeed' | 'ignoreEos' | 'choice'>;

/** The max_tokens a request gets: its own, else vLLM's default, never above the cap. */
export function outputBudget(requested: number | undefined): number {
  return Math.min(requested ?? DEFAULT_MAX_TOKENS, MAX_GENERATED_TOKENS);
}

/** The seeded draws of a plan: whether it may stop early (and where), then one word per token. */
function draws(r: PlanSeed): { random: () => number; stopDraw: number | undefined } {
  const base = chainHash53(stringHash53(r.model), [r.seed], 0, 1);
  let seed = chainHash53(base, r.promptTokens, 0, r.promptTokens.length);
  if (r.requestSeed !== undefined) seed = chainHash53(seed, [r.requestSeed], 0, 1);
  // Choice 0 draws as a request of one choice does; the others each their own sequence.
  if (r.choice !== undefined && r.choice > 0) seed = chainHash53(seed, [r.choice], 0, 1);
  const random = seededRandom(seed);
  const stopDraw = !r.ignoreEos && random() < EARLY_STOP_RATE ? random() : undefined;
  return { random, stopDraw };
}

const nextPiece = (random: () => number, index: number): string => {
  const word = WORDS[Math.floor(random() * WORDS.length)]!;
  return index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : ` ${word}`;
};

export function planOutput(r: OutputRequest): PlannedOutput {
  const { random, stopDraw } = draws(r);
  let count = r.maxTokens;
  let finishReason: FinishReason = 'length';
  if (stopDraw !== undefined) {
    // Stop somewhere in the second half of the budget, never before min_tokens.
    const early = Math.max(Math.ceil(r.maxTokens * (0.5 + stopDraw / 2)), r.minTokens, 1);
    if (early < r.maxTokens) {
      count = early;
      finishReason = 'stop';
    }
  }
  const pieces = new Array<string>(count);
  for (let i = 0; i < count; i++) pieces[i] = nextPiece(random, i);
  if (finishReason === 'stop' && count > 0) pieces[count - 1] += '.';
  return { pieces, finishReason };
}

/**
 * How many tokens of the plan for `r` the text is — the k with `pieces[0, k).join('') === text` —
 * or undefined when it is not how that plan starts. The words drawn do not depend on the budget,
 * so a partial answer is recognised whatever max_tokens the original request had.
 */
export function plannedPrefix(r: PlanSeed, text: string): number | undefined {
  const { random } = draws(r);
  let at = 0;
  let k = 0;
  while (at < text.length) {
    if (k >= MAX_GENERATED_TOKENS) return undefined;
    const piece = nextPiece(random, k);
    if (!text.startsWith(piece, at)) return undefined;
    at += piece.length;
    k++;
  }
  return k;
}

/** Alternatives to a sampled piece for top logprobs: other words of the generator, spelled as the piece is (capital first, or a leading space). */
export function alternativePieces(piece: string, hash: number, count: number): string[] {
  const out: string[] = [];
  for (let m = 0; out.length < count && m < WORDS.length; m++) {
    const word = WORDS[(hash + m * 7) % WORDS.length]!;
    const alt = piece.startsWith(' ') ? ` ${word}` : word.charAt(0).toUpperCase() + word.slice(1);
    if (alt !== piece && !out.includes(alt)) out.push(alt);
  }
  return out;
}

/** Whether every word of `text` is one the generator draws: a cheap test before planning to match it. */
export const isGeneratorWord = (word: string): boolean => (WORDS as readonly string[]).includes(word.toLowerCase());
