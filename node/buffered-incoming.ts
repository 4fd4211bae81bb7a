import { IncomingMessage } from 'node:http';

/**
 * Node's parser calls the request listener, and runs the microtasks after it, between a
 * request's headers and its body, even when both came in one read: read at once, every body
 * would look unfinished and go the stream path (listeners, a body timer). This resolves one
 * loop turn later, when the parser has finished that read, so a body that was in it is whole
 * (`rawBody`). Undefined when there is nothing to wait for: the body is complete, or there is none.
 */
export function restOfRead(incoming: Pick<IncomingMessage, 'complete' | 'headers'>): Promise<void> | undefined {
  if (incoming.complete) return undefined;
  const length = incoming.headers['content-length'];
  if ((length === undefined || length === '0') && incoming.headers['transfer-encoding'] === undefined) return undefined;
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * node:http's request with one addition for @hono/node-server: `rawBody`, the whole body as one
 * Buffer when it has already arrived by the time the app reads it (the parser saw the message's
 * end: a request sent in one write, as autocannon, curl and Python's http.client send a small
 * one; Node's undici writes the body apart, and it is then usually still on its way). The adapter reads the body from `rawBody` when
 * there is one (the hook it keeps for platforms that buffer bodies), so `request.text()` resolves
 * at once: no stream listeners, no flowing mode, no timer racing a read that cannot stall. A body
 * still arriving has no `rawBody` and is read as a stream, under the body timeout, as before.
 */
export class BufferedIncomingMessage extends IncomingMessage {
  #raw: Buffer | undefined;

  get rawBody(): Buffer | undefined {
    if (this.#raw !== undefined) return this.#raw; // the adapter asks twice
    // Only a whole body not yet touched as a stream, in bytes (no encoding set).
    if (!this.complete || this.readableDidRead || this.readableEncoding !== null || this.destroyed) return undefined;
    const chunks: Buffer[] = [];
    for (let chunk = this.read() as Buffer | null; chunk !== null; chunk = this.read() as Buffer | null) chunks.push(chunk);
    this.#raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    return this.#raw;
  }
}
