// AlpacaEval 2.0 (tatsu-lab/alpaca_eval): 805 instructions, Mixtral-8x7B-Instruct's answer
// compared with gpt-4-1106-preview's by two GPT-4-turbo annotators. The data is CC BY-NC:
// it is only ever a left-out source here, never used to fit or choose anything that ships.
import { pinnedAt, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';
import { userTurn } from './labelled.ts';

const at = pinnedAt('tatsu-lab/alpaca_eval', 'cd543a149df89434d8a54582c0151c0b945c3d20');

export const ALPACA_EVAL_FILES = {
  plain: at('results/Mixtral-8x7B-Instruct-v0.1/alpaca_eval_gpt4_turbo_fn/annotations.json'),
  chainOfThought: at('results/Mixtral-8x7B-Instruct-v0.1/alpaca_eval_cot_gpt4_turbo_fn/annotations.json'),
} as const;

interface Annotation {
  instruction: string;
  generator_1: string;
  generator_2: string;
  /** 1: output_1 preferred, 2: output_2 preferred, 1.5: a tie. */
  preference: number | null;
}

/** P(the strong answer is preferred) for one annotation, whichever side the strong model sat on. */
export function strongPreferred(a: Annotation, strongModel: string): number | undefined {
  if (typeof a.preference !== 'number' || a.preference < 1 || a.preference > 2) return undefined;
  const second = a.preference - 1; // 0..1 towards output_2
  return a.generator_2 === strongModel ? second : 1 - second;
}

export function loadAlpacaEval(dir: string): LabelledSource {
  const annotators = Object.values(ALPACA_EVAL_FILES).map((f) => JSON.parse(readPinned(dir, f)) as Annotation[]);
  const strongModel = annotators[0]?.[0]?.generator_1 ?? 'gpt4_1106_preview';
  const weakModel = annotators[0]?.[0]?.generator_2 ?? 'unknown';
  const votes = new Map<string, number[]>();
  for (const rows of annotators) {
    for (const a of rows) {
      const p = strongPreferred(a, strongModel);
      if (p !== undefined) votes.set(a.instruction, [...(votes.get(a.instruction) ?? []), p]);
    }
  }
  const items: LabelledItem[] = [];
  let index = 0;
  for (const [instruction, ps] of votes) {
    // Both annotators must have judged it; the mean of their verdicts is the strong answer's win probability.
    if (ps.length !== annotators.length) continue;
    const p = ps.reduce((a, b) => a + b, 0) / ps.length;
    items.push({ group: `alpaca-eval:${index++}`, request: userTurn(instruction), strong: p, weak: 1 - p, needsStrong: p === 1 });
  }
  return {
    name: 'alpaca-eval',
    title: 'AlpacaEval 2.0 (805 instructions; CC BY-NC: evaluation only)',
    use: 'evaluate',
    license: 'code Apache-2.0, data CC BY-NC 4.0',
    files: Object.values(ALPACA_EVAL_FILES),
    strongModel,
    weakModel,
    quality: "the answer's chance of being preferred to the other model's, mean of two GPT-4-turbo annotators (0, 0.5 or 1)",
    label: 'both annotators preferred the strong answer',
    items,
  };
}
