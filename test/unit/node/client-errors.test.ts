// `switchyard serve` (the Node gateway, in this process) meeting clients that misbehave on the
// wire: one that leaves mid-upload is logged as a client that left (499), not as an internal
// error with a stack; requests Node's own HTTP parser refuses get OpenAI's error shape.
import { connect } from 'node:net';
import { Agent } from 'undici';
import { describe, expect, it, vi } from 'vitest';
import { useNodeGateway } from './node-gateway-fixture.ts';

const fixture = useNodeGateway();
const { logs } = fixture;

/** Writes raw bytes to the gateway; resolves with everything it answered once it closes (or `afterMs`). */
function raw(bytes: string, options: { destroyAfterWrite?: boolean; afterMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(fixture.gateway.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', (error) => (options.destroyAfterWrite ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.write(bytes, () => {
      if (options.destroyAfterWrite) setTimeout(() => socket.destroy(), 50);
    });
    setTimeout(() => socket.destroy(), options.afterMs ?? 3_000);
  });
}

const until = async (check: () => boolean, ms = 3_000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
};

describe('a client that leaves in the middle of its upload', () => {
  it.each([
    ['with a Content-Length', (body: string) => `Content-Length: ${body.length * 20}\r\n\r\n${body}`],
    ['chunked', (body: string) => `Transfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n`],
  ])('is logged as a client that left (499), not an internal error with a stack (%s)', async (_how, framing) => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const before = logs.length;
      const body = `{"model":"llama-3.1-8b","messages":[{"role":"user","content":"${'x'.repeat(2_000)}`;
      await raw(`POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${fixture.key}\r\nContent-Type: application/json\r\n${framing(body)}`, { destroyAfterWrite: true });
      await until(() => logs.length > before);
      expect(logs.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 499, error: { code: 'client_closed_request' } });
      expect(errors.mock.calls.flat().join('\n')).not.toMatch(/stack|internal_error/);
    } finally {
      errors.mockRestore();
    }
  });
});

describe("requests Node's HTTP parser refuses", () => {
  const errorBody = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { message: string; type: string; param: null; code: string } };

  it.each<[string, string, number, string]>([
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'bad_request'],
    ['an invalid header', 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nBad Header: x\r\n\r\n', 400, 'bad_request'],
    ['headers larger than the limit', `GET /v1/models HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request_header_fields_too_large'],
    ['a bad chunk size', 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 400, 'bad_request'],
  ])('answers %s in OpenAI shape', async (_what, bytes, status, code) => {
    const answer = await raw(bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(errorBody(answer)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code } });
  });
});

describe('requests Node hands over without a route to the app', () => {
  const errorBody = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;

  it.each<[string, string, number, string]>([
    // Node's own answer to a CONNECT with no listener is to drop the connection.
    ['CONNECT (a proxy tunnel)', 'CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n', 405, 'method_not_allowed'],
    ['CONNECT with an absolute target', `CONNECT http://evil.example/v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${'k'}\r\n\r\n`, 405, 'method_not_allowed'],
    // The Node adapter cannot make a URL of these and answered a bare 400.
    ['an asterisk-form target', 'OPTIONS * HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n', 400, 'invalid_request_target'],
    ['a backslash in the path', 'GET /v1\\models HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n', 400, 'invalid_request_target'],
    ['a Host header that is not a host', 'GET /v1/models HTTP/1.1\r\nHost: a/b@c\r\nConnection: close\r\n\r\n', 400, 'invalid_request_target'],
    // Node answered a request without Host with a bare 400 before the app saw it.
    ['an HTTP/1.1 request without Host', 'GET /v1/models HTTP/1.1\r\n\r\n', 400, 'invalid_request_target'],
    // Node answered an Expect other than 100-continue with a bare 417.
    ['an expectation it cannot meet', 'POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nExpect: something-else\r\nConnection: close\r\n\r\n', 417, 'expectation_failed'],
  ])('answers %s in OpenAI shape', async (_what, bytes, status, code) => {
    const answer = await raw(bytes);
    expect(answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(answer).toMatch(/\r\ncontent-type: application\/json\r\n/i);
    expect(errorBody(answer)).toEqual({ error: { message: expect.any(String), type: 'invalid_request_error', param: null, code } });
  });
});

describe('an answer given before the whole request arrived', () => {
  const limit = 4 * 1024 * 1024; // localFleet's maxBodyBytes (the default)

  /** A body streamed in 64 KiB pieces (chunked, no Content-Length). */
  const streamed = (size: number) => {
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= size) return controller.close();
        const piece = new Uint8Array(Math.min(65_536, size - sent)).fill(0x61);
        sent += piece.byteLength;
        controller.enqueue(piece);
      },
    });
  };

  it.each([
    ['a chunked body over the limit (413)', { authorization: () => `Bearer ${fixture.key}` }],
    ['a body sent with a key that is not valid (401)', { authorization: () => 'Bearer sy-not-a-key' }],
  ])('closes the connection and says so, so the next request on it is not lost: %s', async (_what, how) => {
    // One connection: the next request goes on the same socket, if the gateway lets it.
    const dispatcher = new Agent({ connections: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        const first = await fetch(`${fixture.gateway.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: how.authorization(), 'content-type': 'application/json' },
          body: streamed(limit * 2),
          duplex: 'half',
          dispatcher,
        } as RequestInit);
        expect([401, 413]).toContain(first.status);
        expect(first.headers.get('connection')).toBe('close');
        expect((await first.json()) as unknown).toMatchObject({ error: { type: expect.any(String) } });
        const next = await fetch(`${fixture.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${fixture.key}` }, dispatcher } as RequestInit);
        expect(next.status).toBe(200);
        await next.arrayBuffer();
      }
    } finally {
      await dispatcher.close();
    }
  });

  it.each([
    ['a body over the limit', 413, (size: number) => `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${fixture.key}\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`],
    // Node's parser refuses the head at 16 KiB; the client is still sending it.
    ['a head far over the header limit', 431, () => `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nX-Pad: `],
  ])('keeps reading what the client still sends before it closes, so a client busy sending %s gets the %i, not a reset', async (_what, status, head) => {
    for (let i = 0; i < 3; i++) {
      const size = limit * 2;
      const answer = await new Promise<{ text: string; error?: string }>((resolve) => {
        const socket = connect(fixture.gateway.port, '127.0.0.1');
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('error', (error) => resolve({ text, error: String(error) }));
        socket.on('close', () => resolve({ text }));
        socket.write(head(size));
        const piece = Buffer.alloc(65_536, 0x61);
        let sent = 0;
        const more = () => {
          while (sent < size) {
            sent += piece.byteLength;
            if (!socket.write(piece)) return void socket.once('drain', more);
          }
        };
        more();
      });
      expect(answer.text).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(answer.error).toBeUndefined();
    }
  });
});
