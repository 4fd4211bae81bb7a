// vLLM's pooling and utility routes, as a pooling or transcription model serves them:
// /v1/embeddings, /v1/score, /v1/rerank (a cross-encoder), /tokenize, /detokenize. The numbers
// are deterministic functions of the text (hash-seeded), so tests can compare them across
// regions and runs; shapes follow vLLM's protocol (EmbeddingResponse, ScoreResponse,
// RerankResponse, TokenizeResponse, DetokenizeResponse).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { fnv1a32, seededRandom } from './hash.ts';
import { sendError, sendJson } from './http-io.ts';
import type { SimState } from './sim-state.ts';
import { countTokens, encodePrompt, tokenize } from './tokenizer.ts';

const DIMENSIONS = 16;
type Body = Readonly<Record<string, unknown>>;

/** A unit vector seeded by the text: equal texts embed equally. */
function embed(text: string, dimensions: number): number[] {
  const random = seededRandom(fnv1a32(text));
  const v = Array.from({ length: dimensions }, () => random() * 2 - 1);
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const cosine = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

/** A relevance in 0..1 from shared words, so a document repeating the query ranks first. */
function relevance(query: string, document: string): number {
  const words = (t: string) => new Set(t.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const q = words(query);
  const d = words(document);
  if (q.size === 0 || d.size === 0) return 0;
  let shared = 0;
  for (const w of q) if (d.has(w)) shared++;
  return shared / Math.sqrt(q.size * d.size);
}

const texts = (v: unknown): string[] | null => (typeof v === 'string' ? [v] : Array.isArray(v) && v.length > 0 && v.every((t) => typeof t === 'string') ? (v as string[]) : null);
const modelOf = (state: SimState, b: Body) => (typeof b.model === 'string' ? b.model : (state.models[0] as string));

export function handleEmbeddings(state: SimState, res: ServerResponse, b: Body): void {
  const input = texts(b.input);
  if (!input) return sendError(res, state.faults.errorShape, { status: 400, message: 'input must be a string or a non-empty array of strings.', param: 'input' });
  // vLLM gives fewer dimensions than the model's (matryoshka) and refuses anything else with a 400.
  const asked = b.dimensions;
  if (asked !== undefined && asked !== null && !(Number.isInteger(asked) && (asked as number) >= 1 && (asked as number) <= DIMENSIONS)) {
    return sendError(res, state.faults.errorShape, { status: 400, message: `dimensions must be an integer from 1 to ${DIMENSIONS}.`, param: 'dimensions' });
  }
  const dimensions = typeof asked === 'number' ? asked : DIMENSIONS;
  const tokens = input.reduce((n, t) => n + countTokens(t) + 1, 0);
  const base64 = b.encoding_format === 'base64';
  const data = input.map((t, index) => {
    const vector = embed(t, dimensions);
    return { index, object: 'embedding', embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector };
  });
  sendJson(res, 200, JSON.stringify({ id: `embd-${randomUUID()}`, object: 'list', created: Math.floor(Date.now() / 1000), model: modelOf(state, b), data, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
}

export function handleScore(state: SimState, res: ServerResponse, b: Body): void {
  const left = texts(b.text_1 ?? b.queries);
  const right = texts(b.text_2 ?? b.documents ?? b.items);
  if (!left || !right) return sendError(res, state.faults.errorShape, { status: 400, message: 'text_1 and text_2 must be strings or non-empty arrays of strings.', param: 'text_1' });
  const pairs = left.length === 1 ? right.map((r) => [left[0] as string, r] as const) : left.map((l, i) => [l, right[i] ?? ''] as const);
  const tokens = pairs.reduce((n, [l, r]) => n + countTokens(l) + countTokens(r) + 2, 0);
  const data = pairs.map(([l, r], index) => ({ index, object: 'score', score: relevance(l, r) }));
  sendJson(res, 200, JSON.stringify({ id: `score-${randomUUID()}`, object: 'list', created: Math.floor(Date.now() / 1000), model: modelOf(state, b), data, usage: { prompt_tokens: tokens, total_tokens: tokens } }));
}

export function handleRerank(state: SimState, res: ServerResponse, b: Body): void {
  const query = typeof b.query === 'string' ? b.query : null;
  const documents = texts(b.documents);
  if (query === null || !documents) return sendError(res, state.faults.errorShape, { status: 400, message: 'query must be a string and documents a non-empty array of strings.', param: 'documents' });
  const topN = Number.isInteger(b.top_n) && (b.top_n as number) > 0 ? (b.top_n as number) : documents.length;
  const results = documents
    .map((text, index) => ({ index, document: { text }, relevance_score: relevance(query, text) }))
    .sort((x, y) => y.relevance_score - x.relevance_score || x.index - y.index)
    .slice(0, topN);
  const tokens = documents.reduce((n, d) => n + countTokens(query) + countTokens(d) + 2, 0);
  sendJson(res, 200, JSON.stringify({ id: `rerank-${randomUUID()}`, model: modelOf(state, b), usage: { total_tokens: tokens }, results }));
}

export function handleTokenize(state: SimState, res: ServerResponse, b: Body): void {
  let tokens: number[];
  if (typeof b.prompt === 'string') tokens = b.add_special_tokens === false ? tokenize(b.prompt) : encodePrompt(b.prompt);
  else if (Array.isArray(b.messages)) {
    const text = (b.messages as unknown[]).map((m) => (typeof m === 'object' && m !== null && typeof (m as Body).content === 'string' ? ((m as Body).content as string) : '')).join('\n');
    tokens = encodePrompt(text);
  } else return sendError(res, state.faults.errorShape, { status: 400, message: 'prompt (a string) or messages is required.', param: 'prompt' });
  sendJson(res, 200, JSON.stringify({ count: tokens.length, max_model_len: state.profile.maxModelLen, tokens, token_strs: null }));
}

export function handleDetokenize(state: SimState, res: ServerResponse, b: Body): void {
  const tokens = b.tokens;
  if (!Array.isArray(tokens) || !tokens.every((t) => Number.isInteger(t) && (t as number) >= 0)) {
    return sendError(res, state.faults.errorShape, { status: 400, message: 'tokens must be an array of token ids.', param: 'tokens' });
  }
  // The stand-in tokenizer is one-way: what comes back is a faithful count, not the original text.
  sendJson(res, 200, JSON.stringify({ prompt: tokens.map((t) => `<${t as number}>`).join('') }));
}
