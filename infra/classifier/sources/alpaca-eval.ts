// AlpacaEval 2.0 (tatsu-lab/alpaca_eval): 805 instructions, Mixtral-8x7B-Instruct's answer — and
// those of a panel of models of its class — compared with gpt-4-1106-preview's by two GPT-4-turbo
// annotators. The data is CC BY-NC:
// it is only ever a left-out source here, never used to fit or choose anything that ships.
import { basename, dirname } from 'node:path';
import { CalibrationDataError, listPinned, type PinnedFile, pinnedFiles, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';
import { userTurn } from './labelled.ts';
import { classMembers, type JudgedModel, PANEL_BAND, panelQuality } from './panel.ts';

/**
 * The files read. `plain`: the named weak model's annotations by the first annotator (it names the
 * strong and the weak model); `results`: every model's annotations, the weak panel's candidates.
 */
export const alpacaEvalFiles = pinnedFiles('tatsu-lab/alpaca_eval', 'cd543a149df89434d8a54582c0151c0b945c3d20', {
  plain: 'results/Mixtral-8x7B-Instruct-v0.1/alpaca_eval_gpt4_turbo_fn/annotations.json',
  results: 'results',
});

export const ALPACA_EVAL_FILES = alpacaEvalFiles();

export interface Annotation {
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

const ANNOTATORS = ['alpaca_eval_gpt4_turbo_fn', 'alpaca_eval_cot_gpt4_turbo_fn'] as const;
/** "Needs the strong model" with a panel: the strong answer preferred in at least this share of the comparisons. */
export const PANEL_PREFERENCE = 0.75;

/**
 * One model compared with `strongModel` by every annotator: its quality on an instruction is
 * 1 − the mean over annotators of P(strong preferred); instructions not judged by every annotator
 * (or compared with another model) are left out.
 */
export function annotatedModel(model: string, annotators: readonly (readonly Annotation[])[], strongModel: string): JudgedModel {
  const votes = new Map<string, number[]>();
  for (const rows of annotators) {
    for (const a of rows) {
      if (a.generator_1 !== strongModel && a.generator_2 !== strongModel) continue;
      const p = strongPreferred(a, strongModel);
      if (p !== undefined) votes.set(a.instruction, [...(votes.get(a.instruction) ?? []), p]);
    }
  }
  const quality = new Map<string, number>();
  for (const [instruction, ps] of votes) {
    if (ps.length === annotators.length) quality.set(instruction, 1 - ps.reduce((a, b) => a + b, 0) / ps.length);
  }
  return { model, quality };
}

export function loadAlpacaEval(dir: string, pinned = ALPACA_EVAL_FILES): LabelledSource {
  const named = JSON.parse(readPinned(dir, pinned.plain)) as Annotation[];
  const strongModel = named[0]?.generator_1 ?? 'gpt4_1106_preview';
  const weakModel = basename(dirname(dirname(pinned.plain.path)));
  // Candidates: every model with both annotators' files, the strong model's own comparisons aside.
  const all = listPinned(dir, pinned.results, { recursive: true });
  const byModel = new Map<string, PinnedFile[]>();
  for (const f of all) {
    const [, model, annotator, file] = f.path.split('/');
    if (model === undefined || model === strongModel || file !== 'annotations.json' || !(ANNOTATORS as readonly (string | undefined)[]).includes(annotator)) continue;
    byModel.set(model, [...(byModel.get(model) ?? []), f]);
  }
  const files: PinnedFile[] = [];
  const models: JudgedModel[] = [];
  for (const [model, fs] of byModel) {
    if (fs.length !== ANNOTATORS.length) continue;
    files.push(...fs);
    models.push(annotatedModel(model, fs.map((f) => JSON.parse(readPinned(dir, f)) as Annotation[]), strongModel));
  }
  const weak = models.find((m) => m.model === weakModel);
  if (weak === undefined) throw new CalibrationDataError(`alpaca-eval: no annotations of ${weakModel} by both annotators`);
  const panel = classMembers(models, weakModel, { min: 0, max: 1 });
  const items: LabelledItem[] = [];
  const pairItems: LabelledItem[] = [];
  let index = 0;
  for (const [instruction, w] of weak.quality) {
    const group = `alpaca-eval:${index++}`;
    const request = userTurn(instruction);
    const pw = panelQuality(panel, instruction) ?? w;
    items.push({ group, request, strong: 1 - pw, weak: pw, needsStrong: 1 - pw >= PANEL_PREFERENCE });
    // The first run's label: both annotators preferred the strong answer.
    pairItems.push({ group, request, strong: 1 - w, weak: w, needsStrong: w === 0 });
  }
  return {
    name: 'alpaca-eval',
    title: 'AlpacaEval 2.0 (805 instructions; CC BY-NC: evaluation only)',
    use: 'evaluate',
    license: 'code Apache-2.0, data CC BY-NC 4.0',
    files,
    strongModel,
    weakModel,
    quality:
      "the answer's chance of being preferred to the other model's, mean of two GPT-4-turbo annotators (0, 0.5 or 1), " +
      'each weak-panel model compared with the strong model, mean over the panel',
    label: `the strong answer preferred in at least ${PANEL_PREFERENCE * 100}% of the panel's comparisons`,
    panel: { strong: [strongModel], weak: panel.map((m) => m.model), candidates: models.length + 1, band: PANEL_BAND },
    items,
    pairItems,
  };
}
