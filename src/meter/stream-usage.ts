import type { BodyReader } from '../backends/transport.ts';
import { usageIn, type TokenUsage } from './usage.ts';

const LF = 0x0a;
const CR = 0x0d;
const USAGE = new TextEncoder().encode('"usage"');
const EMPTY_CHOICES = new TextEncoder().encode('"choices":[]');
/** A partial event kept for reading its usage is dropped beyond this (a Responses terminal event carries the whole answer). */
const MAX_PARTIAL_BYTES = 4 * 1024 * 1024;

export interface StreamMeter {
  /**
   * Remove the usage-only chunk (`"choices":[]` with `usage`): the gateway asked upstream for it
   * (`stream_options.include_usage`) and the client did not, so it must not see it.
   */
  strip: boolean;
  onUsage(usage: TokenUsage): void;
  /** Called once, when the first bytes are handed on: time to first token. */
  onFirstBytes(): void;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  const first = needle[0] as number;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= to - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** The end (exclusive) of the last complete SSE event (a blank line), or 0 when there is none. */
export function lastEventEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    if (bytes[i] !== LF) continue;
    const before = bytes[i - 1] === CR ? i - 2 : i - 1;
    if (bytes[before] === LF) return i + 1;
  }
  return 0;
}

/** The next event boundary at or after `from`: the index just past its blank line, or -1. */
function nextEventEnd(bytes: Uint8Array, from: number, to: number): number {
  for (let i = bytes.indexOf(LF, from); i >= 0 && i < to; i = bytes.indexOf(LF, i + 1)) {
    const next = bytes[i + 1] === CR ? i + 2 : i + 1;
    if (bytes[next] === LF) return next + 1;
  }
  return -1;
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Reads the usage an SSE stream reports (the include_usage chunk, a Responses API terminal
 * event) as it passes. Chunks pass through as they come, unparsed; only an event mentioning
 * `"usage"` is decoded. With `strip`, complete events are handed on and a partial one waits
 * for its end (a client cannot act on half an event anyway), so the usage-only chunk can be
 * cut out whole.
 */
export function meteredStream(upstream: BodyReader, meter: StreamMeter): BodyReader {
  let partial: Uint8Array = new Uint8Array(0);
  let first = true;

  /** Reads usage from the complete events in `bytes[0, end)`; with strip, returns them without the usage-only ones. */
  const scan = (bytes: Uint8Array, end: number): Uint8Array => {
    if (indexOf(bytes, USAGE, 0, end) < 0) return meter.strip ? bytes.subarray(0, end) : bytes;
    let kept: Uint8Array[] | undefined;
    for (let start = 0; start < end; ) {
      const stop = nextEventEnd(bytes, start, end);
      const eventEnd = stop < 0 ? end : stop;
      if (indexOf(bytes, USAGE, start, eventEnd) >= 0) {
        const usage = usageIn(bytes, start, eventEnd);
        if (usage) meter.onUsage(usage);
        if (meter.strip && indexOf(bytes, EMPTY_CHOICES, start, eventEnd) >= 0) {
          kept ??= [bytes.subarray(0, start)];
          start = eventEnd;
          continue;
        }
      }
      kept?.push(bytes.subarray(start, eventEnd));
      start = eventEnd;
    }
    if (!kept) return meter.strip ? bytes.subarray(0, end) : bytes;
    const out = new Uint8Array(kept.reduce((n, k) => n + k.length, 0));
    let at = 0;
    for (const k of kept) {
      out.set(k, at);
      at += k.length;
    }
    return out;
  };

  const handOn = (bytes: Uint8Array) => {
    if (first && bytes.length > 0) {
      first = false;
      meter.onFirstBytes();
    }
    return bytes;
  };

  return {
    async read() {
      for (;;) {
        const result = await upstream.read();
        if (result.done) {
          if (partial.length === 0) return result;
          // The stream ended mid-event; the relay reports the cut. Observing, those bytes were
          // handed on already; stripping, they were held back and go on now.
          const rest = partial;
          partial = new Uint8Array(0);
          const usage = usageIn(rest);
          if (usage) meter.onUsage(usage);
          return meter.strip ? { done: false, value: handOn(rest) } : result;
        }
        const bytes = partial.length === 0 ? result.value : concat(partial, result.value);
        const end = lastEventEnd(bytes);
        if (meter.strip) {
          partial = bytes.slice(end);
          const out = end === 0 ? bytes.subarray(0, 0) : scan(bytes, end);
          if (out.length > 0) return { done: false, value: handOn(out) };
          continue;
        }
        // Observing only: the chunk goes on untouched; a partial event is kept for its usage.
        if (end > 0) scan(bytes, end);
        partial = bytes.length - end > MAX_PARTIAL_BYTES ? new Uint8Array(0) : bytes.slice(end);
        return { done: false, value: handOn(result.value) };
      }
    },
    cancel: (reason) => upstream.cancel(reason),
  };
}
