// Arena-Bench v1 (lmarena/arena-hard-auto's history, before it became Arena-Hard): 300 hard
// Chatbot Arena prompts, each answer scored 1–10 by GPT-4 against a GPT-4 reference answer, for
// fifteen models: the panels of the GPT-4 and the Mixtral class are read from them.
import { basename } from 'node:path';
import { CalibrationDataError, listPinned, type PinnedFile, pinnedFiles, readJsonl, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';
import { userTurn } from './labelled.ts';
import { SCORE_GAP } from './mt-bench.ts';
import { choosePanel, type JudgedModel, panelQuality, summarizePanel } from './panel.ts';

/**
 * The files read; the commit is "reproduce" (2023-12-14), the last one holding data/arena-bench-v1
 * with Mixtral's judgments. `judgments`: every model judged the same way, the panels' candidates.
 */
export const arenaBenchFiles = pinnedFiles('lmarena/arena-hard-auto', '4a705dd6963f777aba2ae79259e3013934e6e012', {
  questions: 'data/arena-bench-v1/question.jsonl',
  strong: 'data/arena-bench-v1/model_judgment/gpt-4-turbo.jsonl',
  weak: 'data/arena-bench-v1/model_judgment/Mixtral-8x7B-Instruct-v0.1.jsonl',
  judgments: 'data/arena-bench-v1/model_judgment',
});

export const ARENA_BENCH_FILES = arenaBenchFiles();

/** Judge scores run 1 to 10. */
const SCALE = { min: 1, max: 10 };

interface Question {
  question_id: string;
  turns: string[];
}

interface Judgment {
  question_id: string;
  model: string;
  score: number | null;
}

/** One judgment file: the judged model (named after its file) and its scores per question. */
export function judgedModel(file: PinnedFile, text: string): JudgedModel & { generator: string } {
  const rows = readJsonl(text) as Judgment[];
  const quality = new Map<string, number>();
  // A null score is a judgment whose rating the judge script could not parse: no label.
  for (const r of rows) if (typeof r.score === 'number') quality.set(r.question_id, r.score);
  return { model: basename(file.path, '.jsonl'), generator: rows[0]?.model ?? 'unknown', quality };
}

export function loadArenaBench(dir: string, pinned = ARENA_BENCH_FILES): LabelledSource {
  const questions = readJsonl(readPinned(dir, pinned.questions)) as Question[];
  const files = listPinned(dir, pinned.judgments).filter((f) => f.path.endsWith('.jsonl'));
  const models = files.map((f) => judgedModel(f, readPinned(dir, f)));
  const named = { strong: basename(pinned.strong.path, '.jsonl'), weak: basename(pinned.weak.path, '.jsonl') };
  const strong = models.find((m) => m.model === named.strong);
  const weak = models.find((m) => m.model === named.weak);
  if (strong === undefined || weak === undefined) throw new CalibrationDataError(`arena-bench: ${named.strong} or ${named.weak} not among the judgments`);
  const panel = choosePanel(models, named, SCALE);
  const items: LabelledItem[] = [];
  const pairItems: LabelledItem[] = [];
  for (const q of questions) {
    const s = strong.quality.get(q.question_id);
    const w = weak.quality.get(q.question_id);
    const text = q.turns[0];
    if (s === undefined || w === undefined || text === undefined) continue;
    const group = `arena-bench:${q.question_id}`;
    const request = userTurn(text);
    const ps = panelQuality(panel.strong, q.question_id) ?? s;
    const pw = panelQuality(panel.weak, q.question_id) ?? w;
    items.push({ group, request, strong: ps, weak: pw, needsStrong: ps - pw >= SCORE_GAP });
    pairItems.push({ group, request, strong: s, weak: w, needsStrong: s - w >= SCORE_GAP });
  }
  return {
    name: 'arena-bench',
    title: 'Arena-Bench v1 (300 hard Chatbot Arena prompts)',
    use: 'fit',
    license: 'Apache-2.0',
    files: [pinned.questions, ...files],
    strongModel: strong.generator,
    weakModel: weak.generator,
    quality: 'GPT-4 score of the answer against a GPT-4 reference answer, 1–10, mean over the panel',
    label: `the weak panel's mean score is at least ${SCORE_GAP} points below the strong panel's`,
    panel: summarizePanel(panel),
    items,
    pairItems,
  };
}
