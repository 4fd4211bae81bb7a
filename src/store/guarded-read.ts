import { LATE, within } from './within.ts';

/** The store did not answer (an error, or not within the timeout), or is resting after it did not. */
export class StoreUnavailableError extends Error {
  /** When a read may be tried again. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'StoreUnavailableError';
    this.retryAfterMs = retryAfterMs;
  }
}

export interface GuardedReadOptions {
  /** The longest one read may take before the caller is answered without it. */
  timeoutMs: number;
  /** After a failed read, how long every read fails at once; then one read at a time tries again. */
  restMs: number;
  now?: () => number;
}

/**
 * Store reads on the request path, bounded: each under a short timeout, and after one fails a
 * rest during which reads fail at once instead of each waiting out the timeout (or a client
 * library's retries). Once the rest is over, a single read tries; the others keep failing fast
 * until it succeeds. A circuit breaker for one dependency, without timers.
 */
export class GuardedRead {
  readonly #timeoutMs: number;
  readonly #restMs: number;
  readonly #now: () => number;
  #down = false;
  #restUntil = 0;
  #probing = false;

  constructor(options: GuardedReadOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#restMs = options.restMs;
    this.#now = options.now ?? Date.now;
  }

  async run<T>(read: () => Promise<T>): Promise<T> {
    const now = this.#now();
    if (this.#down) {
      if (now < this.#restUntil) throw new StoreUnavailableError('the store is unavailable (resting after a failed read)', this.#restUntil - now);
      if (this.#probing) throw new StoreUnavailableError('the store is unavailable (a read is checking whether it is back)', this.#restMs);
      this.#probing = true;
    }
    try {
      const answer = await within(read(), this.#timeoutMs);
      if (answer === LATE) throw new Error(`no answer within ${this.#timeoutMs} ms`);
      this.#down = false;
      return answer;
    } catch (error) {
      this.#down = true;
      this.#restUntil = this.#now() + this.#restMs;
      throw new StoreUnavailableError(`the store is unavailable: ${error instanceof Error ? error.message : String(error)}`, this.#restMs, error);
    } finally {
      this.#probing = false;
    }
  }
}
