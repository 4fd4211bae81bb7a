// Reads the public prompt sets in ../shared/data/classifier-dev (never copied into the repo)
// into classifier requests, with labels where the data honestly has them (MT-Bench only).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClassifyRequest } from '../../src/classify/request.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DATA_FILES = {
  mtBenchQuestions: 'mt-bench/mt_bench_question.jsonl',
  mtBenchJudgements: 'mt-bench/mt_bench_judgements.jsonl',
  arenaHardV1: 'arena-hard/arena-hard-v0.1_question.jsonl',
  arenaHardV2: 'arena-hard/arena-hard-v2.0_question.jsonl',
  semanticRouter: 'semantic-router/domain_classify_cases.json',
} as const;

/** SWITCHYARD_CLASSIFIER_DATA, else ../shared/data/classifier-dev beside the checkout; exits with a clear message when missing. */
export function resolveDataDir(): string {
  const dir = resolve(REPO_ROOT, process.env.SWITCHYARD_CLASSIFIER_DATA ?? '../shared/data/classifier-dev');
  const missing = Object.values(DATA_FILES).filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    console.error(
      `classifier data not found in ${dir} (missing: ${missing.join(', ')}).\n` +
        'Set SWITCHYARD_CLASSIFIER_DATA to the classifier-dev folder (MT-Bench, Arena-Hard, semantic-router sets).',
    );
    process.exit(1);
  }
  return dir;
}

export function displayPath(dir: string, file: string): string {
  return relative(REPO_ROOT, join(dir, file));
}

function readJsonl(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** One turn of one MT-Bench question, as the gateway would see it, with both models' judged scores. */
export interface LabeledItem {
  questionId: number;
  turn: number;
  category: string;
  request: ClassifyRequest;
  strong: number;
  weak: number;
}

export interface MtBench {
  items: LabeledItem[];
  strongModel: string;
  weakModel: string;
  judge: string;
}

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

export function loadMtBench(dir: string): MtBench {
  const questions = new Map<number, Question>();
  for (const q of readJsonl(join(dir, DATA_FILES.mtBenchQuestions)) as Question[]) questions.set(q.question_id, q);
  const judgements = readJsonl(join(dir, DATA_FILES.mtBenchJudgements)) as Judgement[];

  // Two models were judged; the strong one is the one with the higher mean score.
  const byModel = new Map<string, number[]>();
  for (const j of judgements) byModel.set(j.model, [...(byModel.get(j.model) ?? []), j.score]);
  const models = [...byModel.entries()].map(([m, s]) => ({ m, mean: s.reduce((a, b) => a + b, 0) / s.length }));
  if (models.length !== 2) throw new Error(`expected two judged models, found ${models.length}`);
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

  const items: LabeledItem[] = [];
  for (const q of questions.values()) {
    const [first, second] = q.turns;
    const one = scores.get(`${q.question_id}/1`);
    const two = scores.get(`${q.question_id}/2`);
    if (first === undefined || one?.strong === undefined || one.weak === undefined) continue;
    items.push({
      questionId: q.question_id, turn: 1, category: q.category,
      request: { messages: [{ role: 'user', content: first }] },
      strong: one.strong, weak: one.weak,
    });
    if (second === undefined || two?.strong === undefined || two.weak === undefined || two.answer === undefined) continue;
    items.push({
      questionId: q.question_id, turn: 2, category: q.category,
      request: {
        messages: [
          { role: 'user', content: first },
          { role: 'assistant', content: two.answer },
          { role: 'user', content: second },
        ],
      },
      strong: two.strong, weak: two.weak,
    });
  }
  return { items, strongModel, weakModel, judge: judgements[0]?.judge[0] ?? 'unknown' };
}

/** A prompt with a category label but no quality label: used to check the detectors, not to fit. */
export interface CategorizedPrompt {
  source: string;
  category: string;
  request: ClassifyRequest;
}

export function loadArenaHard(dir: string): CategorizedPrompt[] {
  const v1 = readJsonl(join(dir, DATA_FILES.arenaHardV1)) as { prompt: string }[];
  const v2 = readJsonl(join(dir, DATA_FILES.arenaHardV2)) as { prompt: string; subcategory: string }[];
  return [
    ...v1.map((p) => ({ source: 'arena-hard-v0.1', category: 'all', request: userTurn(p.prompt) })),
    ...v2.map((p) => ({ source: 'arena-hard-v2.0', category: p.subcategory, request: userTurn(p.prompt) })),
  ];
}

export function loadSemanticRouter(dir: string): CategorizedPrompt[] {
  const cases = JSON.parse(readFileSync(join(dir, DATA_FILES.semanticRouter), 'utf8')) as {
    category: string;
    question: string;
  }[];
  return cases.map((c) => ({ source: 'semantic-router (MMLU-Pro)', category: c.category, request: userTurn(c.question) }));
}

function userTurn(text: string): ClassifyRequest {
  return { messages: [{ role: 'user', content: text }] };
}
