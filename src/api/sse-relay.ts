import type { Cancellation } from '../backends/cancellation.ts';
import type { BodyReader } from '../backends/transport.ts';
import type { ErrorBody } from './errors.ts';

/** How a relayed stream ended, for the record step (waitUntil). */
export interface StreamOutcome {
  completed: boolean;
  /** Why it did not complete: the code of the error event the client received. */
  error?: string;
  /** What the failed read said (the socket's error, SageMaker's exception), for the operator's log only. */
  detail?: string;
  bytes: number;
  chunks: number;
  clientCancelled: boolean;
}

export interface RelayOptions {
  /** Longest silence tolerated between two upstream chunks. */
  idleMs: number;
  /**
   * How a complete stream ends: `data: [DONE]` (chat, completions, transcriptions), or a
   * terminal event of the Responses API (response.completed, .incomplete or .failed).
   */
  end?: 'done-marker' | 'responses-events';
  /** Cancelled when the total deadline passes (or the client left); a deadline ends the stream with an error event. */
  cancel?: Cancellation;
  onEnd?: (outcome: StreamOutcome) => void;
}

/**
 * The reason the relay cancels an upstream that sent nothing for `idleMs`. A reader that can
 * recover (mid-stream failover: src/forward/stream-continuation.ts) continues the stream
 * elsewhere and answers the pending read with data; any other reader just ends.
 */
export class StreamIdle extends Error {
  constructor() {
    super('idle');
    this.name = 'StreamIdle';
  }
}

const encoder = new TextEncoder();
const DONE = encoder.encode('data: [DONE]');
const TAIL = 64;

export const sseErrorEvent = (message: string, code: string, type = 'server_error'): Uint8Array => {
  const body: ErrorBody = { error: { message, type, param: null, code } };
  // `event: error` for generic SSE clients; the JSON `error` member is what OpenAI's SDKs raise.
  return encoder.encode(`event: error\ndata: ${JSON.stringify(body)}\n\n`);
};

/** `Name: message` of a failed read, for the log (the client's event never carries it: it may name hosts and addresses). */
const causeText = (cause: unknown): string | undefined => {
  if (!(cause instanceof Error) || !cause.message) return undefined;
  const text = `${cause.name && cause.name !== 'Error' ? `${cause.name}: ` : ''}${cause.message}`.replace(/\s+/g, ' ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
};

const endsWithDone = (tail: Uint8Array, length: number): boolean => {
  // Trailing blank lines follow the [DONE] marker; find the last non-newline byte.
  let end = length;
  while (end > 0 && (tail[end - 1] === 0x0a || tail[end - 1] === 0x0d)) end--;
  if (end < DONE.length) return false;
  for (let i = 0; i < DONE.length; i++) if (tail[end - DONE.length + i] !== DONE[i]) return false;
  return true;
};

const countTrailingNewlines = (tail: Uint8Array, length: number): number => {
  let n = 0;
  for (let i = length - 1; i >= 0 && (tail[i] === 0x0a || tail[i] === 0x0d); i--) if (tail[i] === 0x0a) n++;
  return n;
};

const TERMINAL_EVENTS = ['response.completed', 'response.incomplete', 'response.failed'].map((e) => encoder.encode(e));
const OVERLAP = Math.max(...TERMINAL_EVENTS.map((m) => m.length)) - 1;

/** Finds a Responses API terminal event name in the bytes as they pass, across chunk boundaries, without decoding them. */
function terminalEventScanner(): (chunk: Uint8Array) => boolean {
  let carry = new Uint8Array(0);
  return (chunk) => {
    const window = carry.length === 0 ? chunk : concat(carry, chunk);
    const found = TERMINAL_EVENTS.some((marker) => indexOf(window, marker) >= 0);
    carry = window.slice(Math.max(0, window.length - OVERLAP));
    return found;
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first as number); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(first as number, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * Relays an upstream SSE body chunk for chunk: one pull, one upstream read, one enqueue —
 * no buffering and no delay. Only the last few bytes are remembered, to tell a finished
 * stream (`data: [DONE]`) from one the upstream cut, which gets an SSE error event instead
 * of a silent end.
 */
export function relaySse(upstream: BodyReader, options: RelayOptions): ReadableStream<Uint8Array> {
  const tail = new Uint8Array(TAIL);
  let tailLength = 0;
  let bytes = 0;
  let chunks = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let idle = false;
  let ended = false;
  const scanTerminal = options.end === 'responses-events' ? terminalEventScanner() : undefined;
  let sawTerminal = false;

  const remember = (chunk: Uint8Array) => {
    if (chunk.length >= TAIL) {
      tail.set(chunk.subarray(chunk.length - TAIL));
      tailLength = TAIL;
    } else if (tailLength + chunk.length <= TAIL) {
      tail.set(chunk, tailLength);
      tailLength += chunk.length;
    } else {
      const keep = TAIL - chunk.length;
      tail.copyWithin(0, tailLength - keep, tailLength);
      tail.set(chunk, keep);
      tailLength = TAIL;
    }
  };

  const finish = (
    controller: ReadableStreamDefaultController<Uint8Array>,
    outcome: Omit<StreamOutcome, 'bytes' | 'chunks' | 'clientCancelled'>,
    /** Why the upstream's read failed, when it said (e.g. a SageMaker ModelStreamError). */
    cause?: unknown,
  ) => {
    if (ended) return;
    ended = true;
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    offCancel();
    if (!outcome.completed) {
      const message =
        outcome.error === 'stream_idle_timeout'
          ? `the upstream sent nothing for ${options.idleMs} ms; the stream was ended`
          : outcome.error === 'upstream_total_timeout'
            ? 'the response exceeded the total time allowed; the stream was ended'
            : 'the upstream ended the stream before it was complete';
      // A cut mid-event leaves a partial line: end it so the error event stands on its own.
      const trailing = countTrailingNewlines(tail, tailLength);
      if (tailLength > 0 && trailing < 2) controller.enqueue(encoder.encode(trailing === 1 ? '\n' : '\n\n'));
      controller.enqueue(sseErrorEvent(message, outcome.error ?? 'stream_truncated'));
    }
    controller.close();
    const detail = causeText(cause);
    options.onEnd?.({ ...outcome, ...(detail === undefined ? {} : { detail }), bytes, chunks, clientCancelled: false });
  };

  const offCancel = options.cancel?.onCancel(() => {
    upstream.cancel(new Error(`cancelled: ${options.cancel?.reason}`)).catch(() => {});
  }) ?? (() => {});
  const deadlinePassed = () => options.cancel?.reason === 'deadline';

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        idleTimer = setTimeout(() => {
          idle = true;
          upstream.cancel(new StreamIdle()).catch(() => {});
        }, options.idleMs);
        let result: Awaited<ReturnType<BodyReader['read']>>;
        try {
          result = await upstream.read();
        } catch (error) {
          result = { done: true };
          if (!idle && !deadlinePassed()) return finish(controller, { completed: false, error: 'stream_truncated' }, error);
        } finally {
          if (idleTimer !== undefined) clearTimeout(idleTimer);
        }
        // Data after an idle cancel: the reader continued the stream elsewhere (a plain one cannot).
        if (idle && result.done) return finish(controller, { completed: false, error: 'stream_idle_timeout' });
        idle = false;
        if (deadlinePassed()) return finish(controller, { completed: false, error: 'upstream_total_timeout' });
        if (result.done) {
          const completed = scanTerminal ? sawTerminal : endsWithDone(tail, tailLength);
          return finish(controller, completed ? { completed } : { completed, error: 'stream_truncated' });
        }
        const chunk = result.value;
        bytes += chunk.length;
        chunks++;
        remember(chunk);
        if (scanTerminal && !sawTerminal) sawTerminal = scanTerminal(chunk);
        controller.enqueue(chunk);
      },
      cancel(reason) {
        ended = true;
        if (idleTimer !== undefined) clearTimeout(idleTimer);
        offCancel();
        options.onEnd?.({ completed: false, error: 'client_cancelled', bytes, chunks, clientCancelled: true });
        return upstream.cancel(reason);
      },
    },
    // No read-ahead: a chunk is pulled from upstream only when the client side asks for one.
    { highWaterMark: 0 },
  );
}
