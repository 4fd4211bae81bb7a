// Test doubles for the transport layer: canned upstream answers and body readers that
// record what the code under test did with them. No network, no timers of their own.
import type { BodyReader, UpstreamResponse } from '../../src/backends/transport.ts';

const encoder = new TextEncoder();

export type ChunkInput = string | Uint8Array;

const bytesOf = (chunk: ChunkInput): Uint8Array => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk);

/** A BodyReader that also says how it was used. */
export interface RecordingReader extends BodyReader {
  /** How many times read() was called. */
  readonly reads: number;
  /** Reasons passed to cancel(), in order. */
  readonly cancels: readonly unknown[];
}

/**
 * Serves `chunks` one per read(), then `done`. With `failAfter`, the read after that many
 * chunks rejects with `error` instead (an upstream connection cut mid-stream).
 */
export function chunkReader(chunks: readonly ChunkInput[], options: { failAfter?: number; error?: unknown } = {}): RecordingReader {
  const queue = chunks.map(bytesOf);
  let next = 0;
  let reads = 0;
  let cancelled = false;
  const cancels: unknown[] = [];
  return {
    get reads() {
      return reads;
    },
    cancels,
    async read() {
      reads += 1;
      if (options.failAfter !== undefined && next >= options.failAfter) throw options.error ?? new Error('connection reset by peer');
      if (cancelled || next >= queue.length) return { done: true };
      const value = queue[next] as Uint8Array;
      next += 1;
      return { done: false, value };
    },
    async cancel(reason?: unknown) {
      cancelled = true;
      cancels.push(reason);
    },
  };
}

/**
 * Serves `chunks`, then hangs: the next read() resolves only when cancel() is called
 * (resolving `done`, or rejecting when `rejectOnCancel`), like a silent upstream socket.
 */
export function stallingReader(chunks: readonly ChunkInput[] = [], options: { rejectOnCancel?: boolean } = {}): RecordingReader {
  const queue = chunks.map(bytesOf);
  let next = 0;
  let reads = 0;
  const cancels: unknown[] = [];
  let wake: ((reason: unknown) => void) | undefined;
  let cancelled = false;
  return {
    get reads() {
      return reads;
    },
    cancels,
    read() {
      reads += 1;
      if (next < queue.length) {
        const value = queue[next] as Uint8Array;
        next += 1;
        return Promise.resolve({ done: false as const, value });
      }
      if (cancelled) return Promise.resolve({ done: true as const });
      return new Promise((resolve, reject) => {
        wake = (reason) => (options.rejectOnCancel ? reject(reason instanceof Error ? reason : new Error(String(reason))) : resolve({ done: true }));
      });
    },
    async cancel(reason?: unknown) {
      cancelled = true;
      cancels.push(reason);
      wake?.(reason);
      wake = undefined;
    },
  };
}

export const concat = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/**
 * An UpstreamResponse with a canned status, headers and body: one string (a whole JSON
 * answer) or a list of chunks (a stream, one chunk per read).
 */
export function upstreamResponse(
  status: number,
  body: ChunkInput | readonly ChunkInput[] = '',
  headers: Readonly<Record<string, string>> = {},
): UpstreamResponse & { readonly discarded: boolean } {
  const chunks = Array.isArray(body) ? (body as readonly ChunkInput[]) : [body as ChunkInput];
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  let discarded = false;
  return {
    status,
    header: (name) => lower.get(name.toLowerCase()) ?? null,
    bytes: async () => concat(chunks.map(bytesOf)),
    reader: () => chunkReader(chunks),
    discard: () => {
      discarded = true;
    },
    get discarded() {
      return discarded;
    },
  };
}

/** Reads a web ReadableStream to the end, returning each chunk as received. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const reader = stream.getReader();
  const out: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

export const decode = (parts: readonly Uint8Array[]): string => new TextDecoder().decode(concat(parts));
