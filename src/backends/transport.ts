import type { Cancellation } from './cancellation.ts';

/**
 * How the core reaches an upstream over HTTP. Workers use fetch; Node uses an undici Pool
 * (several times cheaper than fetch there). Both report failures as TransportError so the
 * forwarder can tell a connect failure from a slow first byte or an overall deadline.
 */
export interface UpstreamRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** A JSON body, or a streamed one (a multipart upload passed through as it arrives). */
  body?: string | ReadableStream<Uint8Array>;
  /** Time allowed to open the connection, then to receive response headers. */
  connectMs: number;
  firstByteMs: number;
  /** Ends the whole exchange: the client went away or the total deadline passed. */
  cancel?: Cancellation;
}

/** The subset of ReadableStreamDefaultReader the relay needs, so Node can skip web streams. */
export interface BodyReader {
  read(): Promise<{ done: true; value?: Uint8Array | undefined } | { done: false; value: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

export interface UpstreamResponse {
  readonly status: number;
  header(name: string): string | null;
  /** The whole body (non-streaming answers, error bodies). */
  bytes(): Promise<Uint8Array>;
  /** The body's chunks as they arrive. */
  reader(): BodyReader;
  /** Release the body unread. */
  discard(): void;
}

export type Transport = (request: UpstreamRequest) => Promise<UpstreamResponse>;

/** `body`: the response headers arrived, then the body broke off. */
export type TransportPhase = 'connect' | 'first_byte' | 'aborted' | 'network' | 'body';

export class TransportError extends Error {
  readonly phase: TransportPhase;
  /** The timeout that expired, for timeout phases. */
  readonly timeoutMs: number | undefined;

  constructor(phase: TransportPhase, message: string, options: { timeoutMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TransportError';
    this.phase = phase;
    this.timeoutMs = options.timeoutMs;
  }

  get isTimeout(): boolean {
    return this.timeoutMs !== undefined;
  }
}
