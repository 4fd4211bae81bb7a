import type { BodyReader } from '../backends/transport.ts';

/**
 * Bytes every stream copy of one isolate may hold together. Each copy is bounded on its own too,
 * but many long streams at once would still add up: past this budget a stream is relayed as
 * always, just not kept for the cache.
 */
export class CopyBudget {
  readonly #max: number;
  #used = 0;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  get used(): number {
    return this.#used;
  }

  take(bytes: number): boolean {
    if (this.#used + bytes > this.#max) return false;
    this.#used += bytes;
    return true;
  }

  give(bytes: number): void {
    this.#used = Math.max(0, this.#used - bytes);
  }
}

/**
 * Keeps a copy of every chunk of a stream as it passes, for the fill after a completed miss.
 * Nothing is parsed here: the chunk goes on to the client untouched and at once, and the
 * parsing happens after the stream, off the response path. Past `limit` bytes, or when the
 * isolate's budget is spent, the copy is dropped (the stream is then simply not stored). The
 * bytes held go back to the budget when the copy is read (`text`) or dropped (`discard`).
 */
export class StreamCollector {
  readonly #limit: number;
  readonly #budget: CopyBudget | undefined;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #overflow = false;

  constructor(limit: number, budget?: CopyBudget) {
    this.#limit = limit;
    this.#budget = budget;
  }

  add(chunk: Uint8Array): void {
    if (this.#overflow) return;
    if (this.#bytes + chunk.length > this.#limit || (this.#budget && !this.#budget.take(chunk.length))) {
      this.discard();
      return;
    }
    this.#bytes += chunk.length;
    // A copy: the runtime owns the buffer once it is handed on (it may be reused or transferred).
    this.#chunks.push(chunk.slice());
  }

  /** The stream's text, or undefined when it outgrew its bound or the budget; the bytes held are released. */
  text(): string | undefined {
    if (this.#overflow) return undefined;
    const all = new Uint8Array(this.#bytes);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    this.discard();
    return new TextDecoder().decode(all);
  }

  /** Drops the copy (a stream cut, or left by its client: nothing will be stored) and gives its bytes back. */
  discard(): void {
    this.#budget?.give(this.#bytes);
    this.#overflow = true;
    this.#chunks = [];
    this.#bytes = 0;
  }
}

/** The same reader, with every chunk shown to the collector on its way through. */
export function collecting(reader: BodyReader, collector: StreamCollector): BodyReader {
  return {
    read: () =>
      reader.read().then((result) => {
        if (!result.done) collector.add(result.value);
        return result;
      }),
    cancel: (reason) => reader.cancel(reason),
  };
}
