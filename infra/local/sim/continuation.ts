// Continuing a partial answer, as vLLM does for a gateway that fails a stream over mid-way: a
// chat whose final assistant message is continued (`continue_final_message`), or a text
// completion whose prompt was extended by the text streamed so far. A model continuing its own
// words under the same sampling carries on where it was; the simulator does the same by finding
// the plan the partial text starts and answering the rest of it, so the text a client receives
// across a failover equals the uninterrupted answer, token for token. A choice of a request with
// n > 1 has its own plan: the one the text starts is found among them.
import { fnv1a32 } from './hash.ts';
import { type InferenceRequest, MAX_CHOICES } from './parse-request.ts';
import { isGeneratorWord, plannedPrefix } from './text-generator.ts';
import { encodePrompt } from './tokenizer.ts';

export interface Continued {
  /** The prompt before the partial answer. */
  readonly baseTokens: number[];
  /** Tokens of the plan already answered (the partial text). */
  readonly sent: number;
  /** The prompt as the model reads it: the base, then one token per piece already answered. */
  readonly promptTokens: number[];
  /** Which choice of an earlier request with `n > 1` the partial text is (each has its own plan). */
  readonly choice: number;
}

/** Only the last stretch of a prompt is searched for the simulator's own words. */
const MAX_TAIL_CHARS = 64 * 1024;

/** The request's partial answer, when it is the start of what this simulator would answer; undefined otherwise (a fresh prompt). */
export function findContinuation(r: InferenceRequest, seed: number, model: string): Continued | undefined {
  const c = r.continuation;
  // A gateway continues one choice per request; a request asking for several is fresh.
  if (c === undefined || r.n !== 1) return undefined;
  /** The choice whose plan the text starts (choice 0 first, as most requests have one), and how far. */
  const prefixOf = (baseTokens: number[], text: string): { sent: number; choice: number } | undefined => {
    for (let choice = 0; choice < MAX_CHOICES; choice++) {
      const sent = plannedPrefix({ seed, model, promptTokens: baseTokens, ignoreEos: r.ignoreEos, choice, ...(r.seed === undefined ? {} : { requestSeed: r.seed }) }, text);
      if (sent !== undefined && (sent > 0 || choice === 0)) return { sent, choice };
    }
    return undefined;
  };
  if (c.kind === 'final-message') {
    const found = prefixOf(c.baseTokens, c.text);
    return found === undefined ? undefined : continued(c.baseTokens, c.text, found.sent, found.choice);
  }
  for (const split of ownWordsSplits(c.text)) {
    const baseTokens = encodePrompt(c.text.slice(0, split));
    const found = prefixOf(baseTokens, c.text.slice(split));
    if (found !== undefined && found.sent > 0) return continued(baseTokens, c.text.slice(split), found.sent, found.choice);
  }
  return undefined;
}

/** One token per generated piece (`The`, ` model`, …), as the model produced them. */
const continued = (baseTokens: number[], text: string, sent: number, choice: number): Continued => ({
  baseTokens,
  sent,
  choice,
  promptTokens: [...baseTokens, ...(text === '' ? [] : text.split(/(?= )/).map((piece) => fnv1a32(piece) % 128000))],
});

/**
 * Where the simulator's own words may start at the end of a prompt, earliest first: a capital
 * letter beginning a generator word, followed only by ` word`s the generator draws. Most prompts
 * end otherwise and cost one regular expression.
 */
function ownWordsSplits(text: string): number[] {
  const from = Math.max(0, text.length - MAX_TAIL_CHARS);
  const tail = /[A-Za-z]+(?: [a-z]+)*$/.exec(text.slice(from));
  if (tail === null) return [];
  const start = from + tail.index;
  const splits: number[] = [];
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 65 || code > 90) continue; // A-Z
    if (text.slice(i).split(' ').every(isGeneratorWord)) splits.push(i);
  }
  return splits;
}
