import type { BodyReader } from '../backends/transport.ts';

/**
 * Keeps a copy of every chunk of a stream as it passes, for the fill after a completed miss.
 * Nothing is parsed here: the chunk goes on to the client untouched and at once, and the
 * parsing happens after the stream, off the response path. Past `limit` bytes the copy is
 * dropped (the answer would be too large to store anyway).
 */
export class StreamCollector {
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #overflow = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Uint8Array): void {
    if (this.#overflow) return;
    this.#bytes += chunk.length;
    if (this.#bytes > this.#limit) {
      this.#overflow = true;
      this.#chunks = [];
      return;
    }
    // A copy: the runtime owns the buffer once it is handed on (it may be reused or transferred).
    this.#chunks.push(chunk.slice());
  }

  /** The stream's text, or undefined when it outgrew the limit. */
  text(): string | undefined {
    if (this.#overflow) return undefined;
    const all = new Uint8Array(this.#bytes);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = [];
    return new TextDecoder().decode(all);
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
