// A deterministic stand-in for a real tokenizer: no model files, stable ids, and a token count
// close to real BPE's rough "one token per 4 characters". Text is cut into 4-character pieces
// from its start, so two texts sharing a prefix share its leading tokens.
import { fnv1a32 } from './hash.ts';

const CHARS_PER_TOKEN = 4;
/** Ordinary ids live below Llama 3's special-token range, like its 128,000-entry vocabulary. */
const VOCAB_SIZE = 128000;

/** Llama 3's special tokens, so the chat template below has their real ids. */
export const SPECIAL = {
  beginOfText: 128000,
  startHeader: 128006,
  endHeader: 128007,
  endOfTurn: 128009,
} as const;

/** Token ids of `text`, appended to `into` when given. */
export function tokenize(text: string, into: number[] = []): number[] {
  for (let start = 0; start < text.length; start += CHARS_PER_TOKEN) {
    const end = Math.min(start + CHARS_PER_TOKEN, text.length);
    into.push(fnv1a32(text, start, end) % VOCAB_SIZE);
  }
  return into;
}

export function countTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** A content part of a chat message: only text parts carry tokens for a text-only model. */
export interface TextPart {
  readonly type: 'text';
  readonly text: string;
}

export interface ChatMessage {
  readonly role: string;
  /** A string, text parts, or nothing (an assistant turn that only called tools). */
  readonly content: string | readonly TextPart[] | null;
  /** Tool calls of an assistant turn, rendered as JSON into the prompt. */
  readonly toolCalls?: unknown;
}

/**
 * Llama 3's chat template, as token ids:
 * `<|begin_of_text|>` then per message `<|start_header_id|>role<|end_header_id|>\n\n content <|eot_id|>`,
 * then the assistant header that asks for a reply. Each message is tokenized on its own, so
 * conversations that share leading messages share leading tokens. Tool definitions, when
 * given, are rendered as JSON after the first header like Llama 3.1's tool template does.
 * `generationPrompt: false` is vLLM's `add_generation_prompt: false`: no assistant header at the end.
 */
export function applyChatTemplate(messages: readonly ChatMessage[], tools?: unknown, generationPrompt = true): number[] {
  const ids: number[] = [SPECIAL.beginOfText];
  let toolsRendered = tools === undefined;
  for (const m of messages) {
    ids.push(SPECIAL.startHeader);
    tokenize(m.role, ids);
    ids.push(SPECIAL.endHeader);
    tokenize('\n\n', ids);
    if (!toolsRendered) {
      tokenize(JSON.stringify(tools), ids);
      toolsRendered = true;
    }
    if (typeof m.content === 'string') tokenize(m.content, ids);
    else if (m.content !== null) for (const part of m.content) tokenize(part.text, ids);
    if (m.toolCalls !== undefined) tokenize(JSON.stringify(m.toolCalls), ids);
    ids.push(SPECIAL.endOfTurn);
  }
  if (!generationPrompt) return ids;
  ids.push(SPECIAL.startHeader);
  tokenize('assistant', ids);
  ids.push(SPECIAL.endHeader);
  tokenize('\n\n', ids);
  return ids;
}

/** A completion prompt as vLLM sees it for Llama: the BOS token, then the text. */
export function encodePrompt(text: string): number[] {
  return tokenize(text, [SPECIAL.beginOfText]);
}
