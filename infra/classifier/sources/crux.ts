// CRUXEval output prediction (yuchenlin/ZeroEval's result_dirs/crux): 800 "what does this
// Python function return" questions, each model's greedy answer graded by exact match the way
// ZeroEval's src/evaluation/crux_eval.py grades it, for every model in the folder (the panels).
import { basename } from 'node:path';
import { CalibrationDataError, listPinned, type PinnedFile, pinnedFiles, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';
import { choosePanel, type JudgedModel, panelQuality, summarizePanel } from './panel.ts';

/** The files read. `outputs`: every model's outputs, graded the same way, the panels' candidates. */
export const cruxFiles = pinnedFiles('yuchenlin/ZeroEval', '570c6269a2e4930ee06a17e713fece1ba52cf1dd', {
  strong: 'result_dirs/crux/gpt-4-turbo-2024-04-09.json',
  weak: 'result_dirs/crux/Mixtral-8x7B-Instruct-v0.1.json',
  outputs: 'result_dirs/crux',
});

export const CRUX_FILES = cruxFiles();

const SCALE = { min: 0, max: 1 };
/** "Needs the strong model" with panels: the strong panel answers correctly at least this much more often. */
export const PANEL_GAP = 0.5;

interface Output {
  id: string;
  /** The prompt as sent, the question wrapped in ZeroEval's answer-format instructions. */
  chat_history: string[];
  output: string[];
  answer: string;
  generator: string;
}

/** ZeroEval's extract_first_complete_json: the first balanced {...}, parsed with newlines removed. */
function firstCompleteJson(s: string): Record<string, unknown> | undefined {
  let depth = 0;
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        try {
          const parsed = JSON.parse(s.slice(start, i + 1).replaceAll('\n', '')) as unknown;
          return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

/** ZeroEval's extract_values_from_json(…, allow_no_quotes=True) for the "answer" key. */
function answerByPattern(s: string): string | undefined {
  const patterns = [/"answer"\s*:\s*"([^"]*?)"/, /"answer"\s*:\s*"(.*?)"/s, /"answer"\s*:\s*([^,\s]*)/, /answer\s*:\s*([^,\s]*)/];
  for (const p of patterns) {
    const m = p.exec(s);
    if (m) return m[1];
  }
  return undefined;
}

/** Python's str() of a JSON value, as ZeroEval compares answers by their str(). */
function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

function pyRepr(v: unknown): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replaceAll("'", "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

const stripQuotes = (s: string) => s.replace(/^['"]+|['"]+$/g, '');

/** 1 when the model's answer matches the expected output, as ZeroEval grades it; 0 otherwise (no answer included). */
export function gradeCrux(output: string, expected: string): number {
  const parsed = firstCompleteJson(output);
  const raw = parsed !== undefined && 'answer' in parsed ? pyStr(parsed['answer']) : answerByPattern(output);
  if (raw === undefined) return 0;
  const answer = stripQuotes(raw).replaceAll('\n', '\\n');
  const truth = stripQuotes(expected);
  return (answer !== '' && truth !== '' && answer === truth) || (answer === '' && truth === '') ? 1 : 0;
}

/** One model's outputs, graded: 1 or 0 per question id (named after its file). */
export function gradedModel(file: PinnedFile, text: string): JudgedModel & { generator: string; prompts: Map<string, string> } {
  const rows = JSON.parse(text) as Output[];
  const quality = new Map<string, number>();
  const prompts = new Map<string, string>();
  for (const r of rows) {
    const out = r.output[0];
    const prompt = r.chat_history[0];
    if (out === undefined || prompt === undefined) continue;
    quality.set(r.id, gradeCrux(out, r.answer));
    prompts.set(r.id, prompt);
  }
  return { model: basename(file.path, '.json'), generator: rows[0]?.generator ?? 'unknown', quality, prompts };
}

export function loadCrux(dir: string, pinned = CRUX_FILES): LabelledSource {
  const files = listPinned(dir, pinned.outputs).filter((f) => f.path.endsWith('.json'));
  const models = files.map((f) => gradedModel(f, readPinned(dir, f)));
  const named = { strong: basename(pinned.strong.path, '.json'), weak: basename(pinned.weak.path, '.json') };
  const strong = models.find((m) => m.model === named.strong);
  const weak = models.find((m) => m.model === named.weak);
  if (strong === undefined || weak === undefined) throw new CalibrationDataError(`crux: ${named.strong} or ${named.weak} not among the outputs`);
  const panel = choosePanel(models, named, SCALE);
  const items: LabelledItem[] = [];
  const pairItems: LabelledItem[] = [];
  for (const [id, prompt] of strong.prompts) {
    const s = strong.quality.get(id);
    const w = weak.quality.get(id);
    if (s === undefined || w === undefined) continue;
    const group = `crux:${id}`;
    const request = { messages: [{ role: 'user' as const, content: prompt }] };
    const ps = panelQuality(panel.strong, id) ?? s;
    const pw = panelQuality(panel.weak, id) ?? w;
    items.push({ group, request, strong: ps, weak: pw, needsStrong: ps - pw >= PANEL_GAP });
    pairItems.push({ group, request, strong: s, weak: w, needsStrong: s === 1 && w === 0 });
  }
  return {
    name: 'crux',
    title: 'CRUXEval output prediction (800 Python functions, via ZeroEval)',
    use: 'fit',
    license: 'Apache-2.0 (ZeroEval); CRUXEval MIT',
    files,
    strongModel: strong.generator,
    weakModel: weak.generator,
    quality: 'exact-match correctness of the predicted output, 0 or 1 (ZeroEval crux_eval.py), mean over the panel',
    label: `the strong panel's share of correct answers exceeds the weak panel's by at least ${PANEL_GAP}`,
    panel: summarizePanel(panel),
    items,
    pairItems,
  };
}
