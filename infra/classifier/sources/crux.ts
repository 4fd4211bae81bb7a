// CRUXEval output prediction (yuchenlin/ZeroEval's result_dirs/crux): 800 "what does this
// Python function return" questions, each model's greedy answer graded by exact match the way
// ZeroEval's src/evaluation/crux_eval.py grades it.
import { pinnedAt, readPinned } from './git-file.ts';
import type { LabelledItem, LabelledSource } from './labelled.ts';

const at = pinnedAt('yuchenlin/ZeroEval', '570c6269a2e4930ee06a17e713fece1ba52cf1dd');

export const CRUX_FILES = {
  strong: at('result_dirs/crux/gpt-4-turbo-2024-04-09.json'),
  weak: at('result_dirs/crux/Mixtral-8x7B-Instruct-v0.1.json'),
} as const;

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

function outputsOf(text: string): { model: string; byId: Map<string, Output> } {
  const rows = JSON.parse(text) as Output[];
  return { model: rows[0]?.generator ?? 'unknown', byId: new Map(rows.map((r) => [r.id, r])) };
}

export function loadCrux(dir: string): LabelledSource {
  const strong = outputsOf(readPinned(dir, CRUX_FILES.strong));
  const weak = outputsOf(readPinned(dir, CRUX_FILES.weak));
  const items: LabelledItem[] = [];
  for (const [id, s] of strong.byId) {
    const w = weak.byId.get(id);
    const prompt = s.chat_history[0];
    if (w === undefined || prompt === undefined || s.output[0] === undefined || w.output[0] === undefined) continue;
    const strongOk = gradeCrux(s.output[0], s.answer);
    const weakOk = gradeCrux(w.output[0], w.answer);
    items.push({
      group: `crux:${id}`,
      request: { messages: [{ role: 'user', content: prompt }] },
      strong: strongOk,
      weak: weakOk,
      needsStrong: strongOk === 1 && weakOk === 0,
    });
  }
  return {
    name: 'crux',
    title: 'CRUXEval output prediction (800 Python functions, via ZeroEval)',
    use: 'fit',
    license: 'Apache-2.0 (ZeroEval); CRUXEval MIT',
    files: Object.values(CRUX_FILES),
    strongModel: strong.model,
    weakModel: weak.model,
    quality: 'exact-match correctness of the predicted output, 0 or 1 (ZeroEval crux_eval.py)',
    label: 'the strong model answered correctly and the weak one did not',
    items,
  };
}
