import { readRanges } from './read-budget.ts';
import { forEachContentText } from './request.ts';
import { newTextStats, scanText, type TextStats } from './scan-text.ts';

/** The raw features, in the order the weights file and the calibration script use. */
export const FEATURE_NAMES = [
  'promptTokens',
  'codeBlocks',
  'depth',
  'tools',
  'structuredOutput',
  'code',
  'math',
  'reasoning',
  'constraints',
  'outputTokens',
  'nonEnglish',
  // Within-task structure: how much one task asks, whatever kind of task it is.
  'codeNesting',
  'codeConstructs',
  'subtasks',
  'formatDemands',
  'quantities',
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/**
 * Raw, unnormalized feature values: token counts, evidence sums, shares. The weights file says
 * how each is normalized before scoring, so calibration can change that without touching this.
 */
export type FeatureVector = Record<FeatureName, number>;

/** Output size assumed when neither max_tokens nor the text says anything: a typical chat answer. */
const DEFAULT_OUTPUT_TOKENS = 300;
const LONG_OUTPUT_TOKENS = 1200;
const SHORT_OUTPUT_TOKENS = 80;
/** Chat templates add a few tokens of role markup per message. */
const TOKENS_PER_MESSAGE = 4;

/** A piece of the request's text, and whether it is an instruction (scanned for cues) or earlier model output. */
interface Piece {
  text: string;
  instruction: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Features of any JSON value: a chat or completion body is read for what it holds, and anything
 * else (a wrong type, a missing field) reads as absent, so classifying never throws. The text is
 * read within the budget of read-budget.ts; the prompt length is exact whatever its size.
 */
export function extractFeatures(request: unknown): FeatureVector {
  const body = isRecord(request) ? request : {};
  const pieces: Piece[] = [];
  let total = 0;
  const add = (text: string, instruction: boolean) => {
    if (text.length === 0) return;
    pieces.push({ text, instruction });
    total += text.length;
  };

  // Instructions (user, system, tool results) are scanned for cues; earlier assistant answers
  // only add length and script, so a model's own "must" or "step by step" is not the user's ask.
  let messages = 0;
  let conversational = 0;
  const list = body['messages'];
  if (Array.isArray(list)) {
    for (const m of list as unknown[]) {
      if (!isRecord(m)) continue;
      messages++;
      const role = typeof m['role'] === 'string' ? m['role'] : '';
      if (role !== 'system' && role !== 'developer') conversational++;
      const instruction = role !== 'assistant';
      forEachContentText(m['content'], (text) => add(text, instruction));
    }
  }
  // Token-id prompts carry no text to scan, only their length.
  let tokenIds = 0;
  const prompt = body['prompt'];
  if (typeof prompt === 'string') add(prompt, true);
  else if (Array.isArray(prompt)) {
    for (const p of prompt as unknown[]) {
      if (typeof p === 'string') add(p, true);
      else if (typeof p === 'number') tokenIds++;
      else if (Array.isArray(p)) tokenIds += p.length;
    }
  }

  const cues = newTextStats();
  const context = newTextStats();
  const scanned = scanWithinBudget(pieces, total, cues, context);
  // Token counts from the text read, scaled to the whole: exact when everything was read.
  const textTokens = scanned === 0 ? 0 : (rawTokens(cues) + rawTokens(context)) * (total / scanned);
  const tools = body['tools'];

  return {
    promptTokens: textTokens + messages * TOKENS_PER_MESSAGE + tokenIds,
    codeBlocks: cues.codeBlocks,
    depth: Math.max(0, conversational - 1),
    tools: Array.isArray(tools) ? tools.length : 0,
    structuredOutput: structuredOutput(body['response_format']),
    code: cues.code,
    math: cues.math + Math.min(cues.numbers, 10) * 0.15,
    reasoning: cues.reasoning + (cues.sequence === 3 ? 1 : 0) + Math.max(0, cues.questions - 1) * 0.5,
    constraints: cues.constraints,
    outputTokens: outputTokens(cues, countField(body['max_completion_tokens']) ?? countField(body['max_tokens'])),
    nonEnglish: nonEnglishShare(cues, context),
    codeNesting: bitCount(cues.indentWidths),
    codeConstructs: bitCount(cues.constructKinds),
    subtasks: cues.subtasks,
    formatDemands: bitCount(cues.formatKinds),
    quantities: cues.quantities,
  };
}

/** Scans the read ranges of the pieces joined in order; returns how many characters were read. */
function scanWithinBudget(pieces: readonly Piece[], total: number, cues: TextStats, context: TextStats): number {
  const ranges = readRanges(total);
  let scanned = 0;
  let offset = 0;
  let r = 0;
  for (const { text, instruction } of pieces) {
    const end = offset + text.length;
    // Every range overlapping this piece, clipped to it; a range running on into the next piece is kept for it.
    while (r < ranges.length) {
      const from = Math.max(ranges[r] ?? 0, offset);
      const to = Math.min(ranges[r + 1] ?? 0, end);
      if (from >= end) break;
      if (to > from) {
        scanText(text, instruction ? cues : context, from - offset, to - offset);
        scanned += to - from;
      }
      if ((ranges[r + 1] ?? 0) > end) break;
      r += 2;
    }
    offset = end;
  }
  return scanned;
}

/** Set bits of a 32-bit integer: how many distinct kinds (or widths) a bit set holds. */
export function bitCount(bits: number): number {
  let x = bits - ((bits >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** A token count the client set: a finite number ≥ 0, else nothing. */
function countField(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** chars/4 for Latin text, finer for punctuation, about one token per CJK character. */
function rawTokens(s: TextStats): number {
  return s.latinChars / 4 + s.punctChars / 1.6 + s.cjkChars + s.otherChars / 2.5;
}

function structuredOutput(format: unknown): number {
  if (!isRecord(format)) return 0;
  const type = format['type'];
  if (type === 'json_schema') return 1;
  if (type === 'json_object') return 0.5;
  return 0;
}

/**
 * The output size the request asks for: an explicit max_tokens as given (a client asking for 8k
 * tokens expects a long answer), bounded by what the text states ("in 100 words") when it does.
 */
function outputTokens(s: TextStats, explicit: number | undefined): number {
  let stated: number | undefined;
  if (s.outputTokensHint > 0) stated = s.outputTokensHint;
  else if (s.longOutput > s.shortOutput) stated = LONG_OUTPUT_TOKENS;
  else if (s.shortOutput > 0) stated = SHORT_OUTPUT_TOKENS;
  if (explicit === undefined) return Math.round(stated ?? DEFAULT_OUTPUT_TOKENS);
  return Math.round(stated === undefined ? explicit : Math.min(explicit, stated));
}

/**
 * Share of the text that is not English, 0..1: non-Latin scripts by letters (a CJK character
 * counting as a short word, three letters), then Latin text by its function words ("the", "and"
 * against "que", "und", "les"). Accents alone are weak evidence (English cites José and Zoë), so
 * they decide only where no function word does, or where most words carry one (Vietnamese).
 */
function nonEnglishShare(cues: TextStats, context: TextStats): number {
  const cjk = (cues.cjkLetters + context.cjkLetters) * 3;
  const other = cues.otherScriptLetters + context.otherScriptLetters;
  const latin = cues.latinLetters + context.latinLetters;
  const total = cjk + other + latin;
  if (total === 0) return 0;
  const scriptShare = (cjk + other) / total;
  const votes = cues.foreignStops + cues.englishStops;
  const accentShare = cues.latinWords > 0 ? cues.accentedWords / cues.latinWords : 0;
  let latinForeign = votes >= 2 ? cues.foreignStops / votes : 0;
  if (accentShare >= 0.5 || (votes === 0 && accentShare >= 0.2)) latinForeign = Math.max(latinForeign, accentShare);
  return scriptShare + (1 - scriptShare) * latinForeign;
}
