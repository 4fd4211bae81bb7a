import { IncomingMessage } from 'node:http';

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
