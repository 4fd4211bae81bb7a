// Token logprobs as vLLM returns them: chat's `logprobs.content` entries and the text
// completion's `tokens` / `token_logprobs` / `top_logprobs` / `text_offset`. Deterministic in the
// token and its position in the answer, so an answer continued on another server (the same plan,
// later positions) carries the logprobs the uninterrupted one would have.
import { fnv1a32 } from './hash.ts';
import { alternativePieces } from './text-generator.ts';

/** vLLM's default `--max-logprobs`. */
export const MAX_LOGPROBS = 20;

const encoder = new TextEncoder();

/** The sampled token's logprob at `position`: in (-4, 0). */
function logprobOf(piece: string, position: number): number {
  return -((fnv1a32(`${position}:${piece}`) % 4000) + 1) / 1000;
}

/** The sampled piece and `count` alternatives, most likely first. */
function ranked(piece: string, position: number, count: number): Array<[string, number]> {
  const sampled = logprobOf(piece, position);
  const alternatives = alternativePieces(piece, fnv1a32(piece, 0, piece.length, position), count);
  return [[piece, sampled], ...alternatives.map((alt, m): [string, number] => [alt, sampled - 0.5 - m * 0.25])];
}

/** Chat: one `logprobs.content` entry per token; `top` alternatives asked (`top_logprobs`). */
export function chatLogprobs(pieces: readonly string[], firstPosition: number, top: number): { content: unknown[] } {
  return {
    content: pieces.map((piece, i) => {
      const list = ranked(piece, firstPosition + i, Math.max(0, top - 1));
      return {
        token: piece,
        logprob: list[0]![1],
        bytes: [...encoder.encode(piece)],
        top_logprobs: top === 0 ? [] : list.slice(0, top).map(([token, logprob]) => ({ token, logprob, bytes: [...encoder.encode(token)] })),
      };
    }),
  };
}

/**
 * Text completion: `text_offset` counts characters (Python's len, code points) of this answer's
 * own text, from `firstOffset` — vLLM's offsets start at 0 on every request, a continued one too.
 */
export function completionLogprobs(pieces: readonly string[], firstPosition: number, firstOffset: number, top: number) {
  const text_offset: number[] = [];
  const token_logprobs: number[] = [];
  const top_logprobs: Array<Record<string, number>> = [];
  let offset = firstOffset;
  for (const [i, piece] of pieces.entries()) {
    const list = ranked(piece, firstPosition + i, top);
    text_offset.push(offset);
    token_logprobs.push(list[0]![1]);
    top_logprobs.push(Object.fromEntries(list));
    offset += [...piece].length;
  }
  return { text_offset, token_logprobs, tokens: [...pieces], top_logprobs };
}
