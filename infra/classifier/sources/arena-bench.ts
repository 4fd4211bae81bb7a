// Arena-Bench v1 (lmarena/arena-hard-auto's history, before it became Arena-Hard): 300 hard
// Chatbot Arena prompts, each answer scored 1–10 by GPT-4 against a GPT-4 reference answer.
import { pinnedAt, readJsonl, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';
import { userTurn } from './labelled.ts';
import { SCORE_GAP } from './mt-bench.ts';

/** "reproduce" (2023-12-14): the last commit holding data/arena-bench-v1 with Mixtral's judgments. */
const at = pinnedAt('lmarena/arena-hard-auto', '4a705dd6963f777aba2ae79259e3013934e6e012');

export const ARENA_BENCH_FILES = {
  questions: at('data/arena-bench-v1/question.jsonl'),
  strong: at('data/arena-bench-v1/model_judgment/gpt-4-turbo.jsonl'),
  weak: at('data/arena-bench-v1/model_judgment/Mixtral-8x7B-Instruct-v0.1.jsonl'),
} as const;

interface Question {
  question_id: string;
  turns: string[];
}

interface Judgment {
  question_id: string;
  model: string;
  score: number | null;
}

function scoresOf(text: string): { model: string; scores: Map<string, number> } {
  const rows = readJsonl(text) as Judgment[];
  const scores = new Map<string, number>();
  // A null score is a judgment whose rating the judge script could not parse: no label.
  for (const r of rows) if (typeof r.score === 'number') scores.set(r.question_id, r.score);
  return { model: rows[0]?.model ?? 'unknown', scores };
}

export function loadArenaBench(dir: string): LabelledSource {
  const questions = readJsonl(readPinned(dir, ARENA_BENCH_FILES.questions)) as Question[];
  const strong = scoresOf(readPinned(dir, ARENA_BENCH_FILES.strong));
  const weak = scoresOf(readPinned(dir, ARENA_BENCH_FILES.weak));
  const items: LabelledItem[] = [];
  for (const q of questions) {
    const s = strong.scores.get(q.question_id);
    const w = weak.scores.get(q.question_id);
    const text = q.turns[0];
    if (s === undefined || w === undefined || text === undefined) continue;
    items.push({ group: `arena-bench:${q.question_id}`, request: userTurn(text), strong: s, weak: w, needsStrong: s - w >= SCORE_GAP });
  }
  return {
    name: 'arena-bench',
    title: 'Arena-Bench v1 (300 hard Chatbot Arena prompts)',
    use: 'fit',
    license: 'Apache-2.0',
    files: Object.values(ARENA_BENCH_FILES),
    strongModel: strong.model,
    weakModel: weak.model,
    quality: 'GPT-4 score of the answer against a GPT-4 reference answer, 1–10',
    label: `the weak answer scored at least ${SCORE_GAP} points below the strong one`,
    items,
  };
}
