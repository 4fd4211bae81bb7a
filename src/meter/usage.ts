/**
 * Token usage as the upstream reported it, read from the bytes the client was sent (or the
 * cache replayed) without parsing the whole answer: only the `usage` object is decoded.
 */
export interface TokenUsage {
  /** Prompt tokens (chat, completions, embeddings, score: `prompt_tokens`; Responses: `input_tokens`). */
  input: number;
  /** Generated tokens (`completion_tokens` / `output_tokens`); 0 for pooling models. */
  output: number;
  /** Prompt tokens vLLM's prefix cache served (`prompt_tokens_details.cached_tokens`). */
  cached: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const USAGE_KEY = new TextEncoder().encode('"usage"');
const decoder = new TextDecoder();

const isSpace = (b: number | undefined) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** Index of the last `needle` in `haystack` at or before `from`, or -1. */
function lastIndexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = needle[needle.length - 1];
  for (let end = Math.min(from + needle.length - 1, haystack.length - 1); end >= needle.length - 1; end--) {
    if (haystack[end] !== last) continue;
    let i = needle.length - 2;
    while (i >= 0 && haystack[end - needle.length + 1 + i] === needle[i]) i--;
    if (i < 0) return end - needle.length + 1;
  }
  return -1;
}

/** The end (exclusive) of the JSON object starting at `start`, strings skipped; -1 when cut. */
function objectEnd(bytes: Uint8Array, start: number, end: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) inString = true;
    else if (b === 0x7b) depth++;
    else if (b === 0x7d && --depth === 0) return i + 1;
  }
  return -1;
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/** Usage from an object in any of the shapes vLLM answers with. */
export function usageOf(u: unknown): TokenUsage | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const o = u as Record<string, unknown>;
  const details = (o['prompt_tokens_details'] ?? o['input_tokens_details']) as Record<string, unknown> | null | undefined;
  const input = o['prompt_tokens'] ?? o['input_tokens'] ?? o['total_tokens'];
  const output = o['completion_tokens'] ?? o['output_tokens'];
  if (typeof input !== 'number' && typeof output !== 'number') return undefined;
  return { input: count(input), output: count(output), cached: count(details?.['cached_tokens']) };
}

/**
 * The last `"usage": {...}` object in `bytes[start, end)`. A key inside a JSON string is
 * escaped (`\"usage\"`), so the bytes `"usage"` followed by a colon are always a real key;
 * searching from the end finds the top-level usage, which vLLM writes after the choices.
 */
export function usageIn(bytes: Uint8Array, start = 0, end = bytes.length): TokenUsage | undefined {
  for (let at = lastIndexOf(bytes, USAGE_KEY, end - USAGE_KEY.length); at >= start; at = lastIndexOf(bytes, USAGE_KEY, at - 1)) {
    let i = at + USAGE_KEY.length;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x3a) continue;
    i++;
    while (isSpace(bytes[i])) i++;
    if (bytes[i] !== 0x7b) continue; // `"usage": null`
    const close = objectEnd(bytes, i, end);
    if (close < 0) return undefined;
    try {
      return usageOf(JSON.parse(decoder.decode(bytes.subarray(i, close))));
    } catch {
      return undefined;
    }
  }
  return undefined;
}
