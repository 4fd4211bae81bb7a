// node:http runs the request listener between a request's headers and its body even when both
// came in one read; restOfRead waits out that read, so a body that was in it is handed over whole.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedIncomingMessage, restOfRead } from '../../../node/buffered-incoming.ts';

interface Seen {
  completeAtListener: boolean;
  waited: boolean;
  completeAfter: boolean;
  rawBody: string | undefined;
}

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** Sends `parts` (each its own write, `gapMs` apart) and returns what the listener saw. */
function exchange(parts: readonly string[], gapMs = 0): Promise<Seen> {
  return new Promise((resolve, reject) => {
    server = createServer({ IncomingMessage: BufferedIncomingMessage }, async (request: IncomingMessage, response) => {
      const completeAtListener = request.complete;
      const wait = restOfRead(request);
      if (wait !== undefined) await wait;
      const raw = (request as BufferedIncomingMessage).rawBody;
      resolve({ completeAtListener, waited: wait !== undefined, completeAfter: request.complete, rawBody: raw?.toString() });
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    server.listen(0, '127.0.0.1', () => {
      const socket = connect((server?.address() as AddressInfo).port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('data', () => socket.destroy());
      void (async () => {
        for (const [i, part] of parts.entries()) {
          if (i > 0) await new Promise((r) => setTimeout(r, gapMs));
          socket.write(part);
        }
      })();
    });
  });
}

const body = '{"model":"m","messages":[]}';
const head = (extra: string) => `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\n${extra}\r\n`;

describe('restOfRead', () => {
  it('a body in the same write as the headers: unfinished at the listener, whole one turn later', async () => {
    const seen = await exchange([`${head(`Content-Length: ${body.length}\r\n`)}${body}`]);
    expect(seen.completeAtListener).toBe(false);
    expect(seen).toMatchObject({ waited: true, completeAfter: true, rawBody: body });
  });

  it('a chunked body in the same write: whole one turn later', async () => {
    const seen = await exchange([`${head('Transfer-Encoding: chunked\r\n')}${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`]);
    expect(seen).toMatchObject({ waited: true, completeAfter: true, rawBody: body });
  });

  it('a body still on its way: does not wait for it (the stream path reads it, under the body timeout)', async () => {
    const seen = await exchange([head(`Content-Length: ${body.length}\r\n`), body], 100);
    expect(seen).toMatchObject({ waited: true, completeAfter: false, rawBody: undefined });
  });

  it('no body: nothing to wait for', async () => {
    const seen = await exchange([`GET /v1/models HTTP/1.1\r\nHost: gw\r\n\r\n`]);
    expect(seen.waited).toBe(false);
    const empty = await exchange([head('Content-Length: 0\r\n')]);
    expect(empty.waited).toBe(false);
  });
});
