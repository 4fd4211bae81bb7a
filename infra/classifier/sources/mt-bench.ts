// MT-Bench (../shared/data/classifier-dev/mt-bench): GPT-4 scores (1–10) of gpt-4-1106-preview
// and Mixtral-8x7B-Instruct on 80 two-turn questions.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';

export const MT_BENCH_FILES = {
  questions: 'mt-bench/mt_bench_question.jsonl',
  judgements: 'mt-bench/mt_bench_judgements.jsonl',
} as const;

/** "Needs the strong model": the weak answer scored at least this much below the strong one (1–10). */
export const SCORE_GAP = 2;

interface Question {
  question_id: number;
  category: string;
  turns: string[];
}

interface Judgement {
  question_id: number;
  model: string;
  judge: [string, string];
  user_prompt: string;
  score: number;
  turn: number;
}

const CONVERSATION_START = "<|The Start of Assistant A's Conversation with User|>";

/**
 * The judge's multi-turn prompt holds the model's first answer; the second turn's request is
 * [user turn 1, that answer, user turn 2]. The strong model's first answer is used for both
 * models' second turns, so the classifier sees the same request whichever model is scored.
 */
function firstAnswer(judgePrompt: string): string {
  const start = judgePrompt.indexOf(CONVERSATION_START);
  const from = judgePrompt.indexOf('### Assistant A:\n', start);
  const to = judgePrompt.indexOf('\n\n### User:\n', from);
  if (start < 0 || from < 0 || to < 0) throw new Error('unexpected MT-Bench judge prompt layout');
  return judgePrompt.slice(from + '### Assistant A:\n'.length, to);
}

export function loadMtBench(dir: string): LabelledSource & { categories: Map<string, string> } {
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');
  const questions = readJsonl(read(MT_BENCH_FILES.questions)) as Question[];
  const judgements = readJsonl(read(MT_BENCH_FILES.judgements)) as Judgement[];

  // Two models were judged; the strong one is the one with the higher mean score.
  const byModel = new Map<string, number[]>();
  for (const j of judgements) byModel.set(j.model, [...(byModel.get(j.model) ?? []), j.score]);
  const models = [...byModel.entries()].map(([m, s]) => ({ m, mean: s.reduce((a, b) => a + b, 0) / s.length }));
  if (models.length !== 2) throw new Error(`MT-Bench: expected two judged models, found ${models.length}`);
  models.sort((a, b) => b.mean - a.mean);
  const strongModel = models[0]?.m ?? '';
  const weakModel = models[1]?.m ?? '';

  const scores = new Map<string, { strong?: number; weak?: number; answer?: string }>();
  for (const j of judgements) {
    const key = `${j.question_id}/${j.turn}`;
    const entry = scores.get(key) ?? {};
    if (j.model === strongModel) {
      entry.strong = j.score;
      if (j.turn === 2) entry.answer = firstAnswer(j.user_prompt);
    } else {
      entry.weak = j.score;
    }
    scores.set(key, entry);
  }

  const items: LabelledItem[] = [];
  const categories = new Map<string, string>();
  const item = (q: Question, s: { strong: number; weak: number }, request: LabelledItem['request']): LabelledItem => ({
    group: `mt-bench:${q.question_id}`,
    request,
    strong: s.strong,
    weak: s.weak,
    needsStrong: s.strong - s.weak >= SCORE_GAP,
  });
  for (const q of questions) {
    categories.set(`mt-bench:${q.question_id}`, q.category);
    const [first, second] = q.turns;
    const one = scores.get(`${q.question_id}/1`);
    const two = scores.get(`${q.question_id}/2`);
    if (first === undefined || one?.strong === undefined || one.weak === undefined) continue;
    items.push(item(q, { strong: one.strong, weak: one.weak }, { messages: [{ role: 'user', content: first }] }));
    if (second === undefined || two?.strong === undefined || two.weak === undefined || two.answer === undefined) continue;
    items.push(
      item(q, { strong: two.strong, weak: two.weak }, {
        messages: [
          { role: 'user', content: first },
          { role: 'assistant', content: two.answer },
          { role: 'user', content: second },
        ],
      }),
    );
  }
  return {
    name: 'mt-bench',
    title: 'MT-Bench (80 questions, 2 turns each)',
    use: 'fit',
    license: 'Apache-2.0 (classifier-dev/mt-bench/LICENSE.Apache-2.0.txt)',
    files: Object.values(MT_BENCH_FILES).map((f) => ({ local: join(dir, f), bytes: statSync(join(dir, f)).size })),
    strongModel,
    weakModel,
    quality: `${judgements[0]?.judge[0] ?? 'GPT-4'} score of the answer, 1–10, per question turn`,
    label: `the weak answer scored at least ${SCORE_GAP} points below the strong one`,
    items,
    // Two judged models only: the panel is the pair.
    pairItems: items,
    categories,
  };
}
