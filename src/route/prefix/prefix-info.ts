import type { CompiledPrefixSharing } from '../../fleet/compiled.ts';
import { MAX_BLOCKS, PromptBytes } from './block-hasher.ts';

/**
 * What the prefix data producer knows about a request's prompt, computed once before routing
 * (as llm-d's approximate-prefix producer does): the prefix-affinity scorer reads it and does no
 * hashing itself.
 */
export interface PrefixInfo {
  /** Chained hashes of the prompt's full blocks, first block first, at most MAX_BLOCKS. */
  readonly blocks: readonly number[];
  /**
   * `blocks[anchorBlocks - 1]`: the hash affinity routes by. It covers the shortest leading
   * run of whole messages that is at least `minLength` tokens (for a completion prompt, the
   * last block within the first `minLength` tokens). Requests sharing a long system prompt
   * share it, and so do all turns of one conversation (they share its first messages), while
   * different system prompts get different anchors.
   */
  readonly anchor: number;
  readonly anchorBlocks: number;
  /** The prompt's length in tokens, estimated (characters / 4 for text). */
  readonly promptTokens: number;
}

/** A real tokenizer's rough average for English and code; the simulator uses the same. */
export const CHARS_PER_TOKEN = 4;

/** What a chat message carries into the prompt; the OpenAI schema's parsed message fits. */
export interface PromptMessage {
  readonly role: string;
  /** A string or an array of parts as OpenAI writes them; anything else the upstream will judge, and hashes as nothing. */
  readonly content?: unknown;
  readonly tool_calls?: unknown;
}

/** The seed of a request's chain: its model, and vLLM's `cache_salt` (salted prompts never share blocks). */
const seedOf = (model: string, salt: string | undefined) => (salt ? `${model}\u0000${salt}` : model);

const anchorAt = (blocks: readonly number[], anchorBlocks: number, promptTokens: number): PrefixInfo | undefined => {
  const n = Math.min(anchorBlocks, blocks.length, MAX_BLOCKS);
  if (n < 1) return undefined;
  return { blocks, anchor: blocks[n - 1] as number, anchorBlocks: n, promptTokens };
};

/**
 * A chat request's prompt, laid out the way a chat template renders it (tools, then each
 * message as a role header and its content) without building the string. The anchor is fixed
 * at the first message boundary where the prompt so far reaches `minLength` tokens (and at
 * least one block): a long system prompt on its own, else the system prompt plus the first
 * user message, and so on. Undefined when the whole prompt is shorter than that.
 */
export function chatPrefix(
  model: string,
  messages: readonly PromptMessage[],
  sharing: CompiledPrefixSharing,
  extra: { tools?: unknown; salt?: string | undefined } = {},
): PrefixInfo | undefined {
  const minChars = Math.max(sharing.minLength, sharing.blockSize) * CHARS_PER_TOKEN;
  const p = new PromptBytes(sharing.blockSize);
  if (extra.tools !== undefined) {
    p.text('<|tools|>');
    p.text(JSON.stringify(extra.tools));
  }
  let anchorBlocks = 0;
  for (const m of messages) {
    p.text('<|');
    p.text(m.role);
    p.text('|>');
    const content = m.content;
    if (typeof content === 'string') p.text(content);
    else if (Array.isArray(content)) {
      for (const part of content as unknown[]) {
        if (typeof part !== 'object' || part === null) continue;
        const { text, type } = part as { text?: unknown; type?: unknown };
        // Only text is hashed; another part (an image) leaves its type as a marker.
        if (typeof text === 'string') p.text(text);
        else p.text(`<|${String(type)}|>`);
      }
    }
    if (m.tool_calls !== undefined) p.text(JSON.stringify(m.tool_calls));
    // UTF-8 takes at least a byte per UTF-16 unit, so this boundary holds at least one block.
    if (anchorBlocks === 0 && p.chars >= minChars) anchorBlocks = p.blocksIn(p.bytes);
  }
  if (anchorBlocks === 0) return undefined;
  return anchorAt(p.hashes(seedOf(model, extra.salt)), anchorBlocks, Math.ceil(p.chars / CHARS_PER_TOKEN));
}

/**
 * A completion prompt: text, or token ids (one word each, so a block is exactly `blockSize`
 * tokens). It has no message boundaries, so the anchor is the last block within the first
 * `minLength` tokens. A batch of prompts goes to one endpoint: its first prompt decides.
 */
export function completionPrefix(
  model: string,
  prompt: string | readonly string[] | readonly number[] | readonly (readonly number[])[],
  sharing: CompiledPrefixSharing,
  salt?: string,
): PrefixInfo | undefined {
  const first = typeof prompt === 'string' ? prompt : prompt[0];
  if (first === undefined) return undefined;
  const minTokens = Math.max(sharing.minLength, sharing.blockSize);
  // The last block boundary within the first minTokens: every prompt long enough has it.
  const anchorBlocks = Math.floor(minTokens / sharing.blockSize);
  const p = new PromptBytes(sharing.blockSize);
  if (typeof first === 'string') {
    if (first.length < minTokens * CHARS_PER_TOKEN) return undefined;
    p.text(first);
    return anchorAt(p.hashes(seedOf(model, salt)), anchorBlocks, Math.ceil(p.chars / CHARS_PER_TOKEN));
  }
  const ids = typeof first === 'number' ? (prompt as readonly number[]) : first;
  if (ids.length < minTokens) return undefined;
  p.tokens(ids);
  return anchorAt(p.hashes(seedOf(model, salt)), anchorBlocks, ids.length);
}
