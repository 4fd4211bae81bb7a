// `switchyard serve` meeting a client that sends its headers and then a body that never
// finishes: after the body timeout (short here) it answers 408 in OpenAI's shape, logs the
// request once, and closes the connection, instead of holding it for Node's 300 s.
import { connect } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { useNodeGateway } from './node-gateway-fixture.ts';

const BODY_TIMEOUT_MS = 300;
const fixture = useNodeGateway({ bodyTimeoutMs: BODY_TIMEOUT_MS });
const { logs } = fixture;

interface Exchange {
  answer: string;
  /** ms from the last byte written to the first byte of the answer. */
  answeredAfterMs: number;
  /** The gateway closed the connection (the client never does here). */
  closedByGateway: boolean;
}

/** Writes `head` and keeps the connection open without sending more; collects the answer until the gateway closes or `giveUpMs`. */
function stall(head: string, giveUpMs = 5_000): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(fixture.gateway.port, '127.0.0.1');
    let answer = '';
    let sentAt = 0;
    let answeredAfterMs = Number.NaN;
    const giveUp = setTimeout(() => {
      socket.destroy();
      resolve({ answer, answeredAfterMs, closedByGateway: false });
    }, giveUpMs);
    socket.on('data', (chunk) => {
      if (answer === '') answeredAfterMs = performance.now() - sentAt;
      answer += chunk.toString();
    });
    socket.on('error', reject);
    socket.on('end', () => {
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ answer, answeredAfterMs, closedByGateway: true });
    });
    socket.write(head, () => (sentAt = performance.now()));
  });
}

/** A request line and the common headers; `rest` ends the headers and starts the body. */
const post = (path: string, rest: string) => `POST ${path} HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${fixture.key}\r\n${rest}`;
const json = `{"model":"llama-3.1-8b","messages":[{"role":"user","content":"hel`;

describe('a request body that never finishes', () => {
  it.each([
    ['JSON with a Content-Length', '/v1/chat/completions', `Content-Type: application/json\r\nContent-Length: ${json.length + 100}\r\n\r\n${json}`],
    ['JSON, chunked', '/v1/chat/completions', `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${json.length.toString(16)}\r\n${json}\r\n`],
    ['JSON, headers only', '/v1/embeddings', 'Content-Type: application/json\r\nContent-Length: 50\r\n\r\n'],
    ['a multipart upload before its model field', '/v1/audio/transcriptions', 'Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 5000\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF'],
  ])('%s: 408 request_timeout in OpenAI shape after the body timeout, logged once, connection closed', async (_what, path, rest) => {
    const before = logs.length;
    const { answer, answeredAfterMs, closedByGateway } = await stall(post(path, rest));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toMatch(/\r\ncontent-type: application\/json/i);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as unknown;
    expect(body).toEqual({ error: { message: `The request body did not arrive within ${BODY_TIMEOUT_MS} ms.`, type: 'invalid_request_error', param: null, code: 'request_timeout' } });
    expect(answeredAfterMs).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 20);
    expect(answeredAfterMs).toBeLessThan(BODY_TIMEOUT_MS + 2_000);
    // The gateway lets go of the connection (after its lingering close), the client never sending the rest.
    expect(closedByGateway).toBe(true);
    // The line is written a macrotask after the answer leaves, so it may follow the close.
    const lines = await vi.waitFor(() => {
      const written = logs.slice(before).filter((l) => l.path === path);
      expect(written).toHaveLength(1);
      return written;
    });
    expect(lines[0]).toMatchObject({ status: 408, error: { code: 'request_timeout' } });
  });

  it('leaves a body that arrives in time alone, however slowly it trickles within the limit', async () => {
    const before = logs.length;
    const whole = `{"model":"no-such-model","messages":[{"role":"user","content":"hi"}]}`;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(fixture.gateway.port, '127.0.0.1');
      let text = '';
      socket.on('data', (c) => (text += c.toString()));
      socket.on('error', reject);
      socket.write(post('/v1/chat/completions', `Content-Type: application/json\r\nContent-Length: ${whole.length}\r\n\r\n${whole.slice(0, 10)}`));
      setTimeout(() => socket.write(whole.slice(10)), BODY_TIMEOUT_MS / 2);
      setTimeout(() => {
        socket.destroy();
        resolve(text);
      }, BODY_TIMEOUT_MS * 3);
    });
    // The body was read whole: the answer is about the model it names, not a timeout.
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain('model_not_found');
    await vi.waitFor(() => expect(logs.slice(before).map((l) => l.status)).toEqual([404]));
  });
});
