import { type ClassifyRequest, forEachContentText } from './request.ts';
import { newTextStats, scanText, type TextStats } from './scan-text.ts';

/** The raw features, in the order the weights file and the calibration script use. */
export const FEATURE_NAMES = [
  'promptTokens',
  'code',
  'math',
  'reasoning',
  'constraints',
  'depth',
  'tools',
  'structuredOutput',
  'outputTokens',
  'nonEnglish',
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

export function extractFeatures(request: ClassifyRequest): FeatureVector {
  // Instructions (user, system, tool results) are scanned for cues; earlier assistant answers
  // only add length and script, so a model's own "must" or "step by step" is not the user's ask.
  const cues = newTextStats();
  const context = newTextStats();
  const scanCues = (text: string) => scanText(text, cues);
  const scanContext = (text: string) => scanText(text, context);

  let messages = 0;
  let conversational = 0;
  for (const m of request.messages ?? []) {
    messages++;
    if (m.role !== 'system' && m.role !== 'developer') conversational++;
    forEachContentText(m.content, m.role === 'assistant' ? scanContext : scanCues);
  }
  // Token-id prompts carry no text to scan, only their length.
  let tokenIds = 0;
  const prompt = request.prompt;
  if (typeof prompt === 'string') scanCues(prompt);
  else if (Array.isArray(prompt)) {
    for (const p of prompt as readonly unknown[]) {
      if (typeof p === 'string') scanCues(p);
      else if (typeof p === 'number') tokenIds++;
      else if (Array.isArray(p)) tokenIds += p.length;
    }
  }

  return {
    promptTokens: estimateTokens(cues) + estimateTokens(context) + messages * TOKENS_PER_MESSAGE + tokenIds,
    code: cues.code,
    math: cues.math + Math.min(cues.numbers, 10) * 0.15,
    reasoning: cues.reasoning + (cues.sequence === 3 ? 1 : 0) + Math.max(0, cues.questions - 1) * 0.5,
    constraints: cues.constraints,
    depth: Math.max(0, conversational - 1),
    tools: request.tools?.length ?? 0,
    structuredOutput: structuredOutput(request.response_format),
    outputTokens: outputTokens(cues, request.max_completion_tokens ?? request.max_tokens ?? undefined),
    nonEnglish: nonEnglishShare(cues, context),
  };
}

/** chars/4 for Latin text, finer for punctuation, about one token per CJK character. */
export function estimateTokens(s: TextStats): number {
  return Math.ceil(s.latinChars / 4 + s.punctChars / 1.6 + s.cjkChars + s.otherChars / 2.5);
}

function structuredOutput(format: unknown): number {
  if (typeof format !== 'object' || format === null) return 0;
  const type = (format as { type?: unknown }).type;
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
