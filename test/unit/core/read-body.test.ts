import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/api/errors.ts';
import { readJsonBody } from '../../../src/api/read-body.ts';

const URL = 'http://gateway.test/v1/chat/completions';
const LIMIT = 1024;
const encoder = new TextEncoder();

/** A body stream that serves `chunks` on demand and records how far it was read. */
function countingBody(chunks: readonly string[], repeatForever = false) {
  let pulls = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = repeatForever ? chunks[0] : chunks[pulls];
        pulls += 1;
        if (chunk === undefined) controller.close();
        else controller.enqueue(encoder.encode(chunk));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return {
    stream,
    get pulls() {
      return pulls;
    },
    get cancelled() {
      return cancelled;
    },
  };
}

const streamed = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request(URL, { method: 'POST', headers, body, duplex: 'half' } as RequestInit & { duplex: 'half' });

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) => new Request(URL, { method: 'POST', headers, body });

async function gatewayErrorOf(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('expected a GatewayError');
}

describe('readJsonBody', () => {
  it('returns the exact text and its parsed JSON', async () => {
    const text = '{ "model":"m",  "top_k": 5 }';
    expect(await readJsonBody(post(text), LIMIT)).toEqual({ text, json: { model: 'm', top_k: 5 } });
  });

  it('refuses a declared Content-Length over the limit with 413 before reading a byte', async () => {
    const body = countingBody(['{"model":"m"}']);
    const request = streamed(body.stream, { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) });
    const error = await gatewayErrorOf(readJsonBody(request, LIMIT));
    expect([error.status, error.code, error.message]).toEqual([413, 'request_too_large', `Request body exceeds the limit of ${LIMIT} bytes.`]);
    expect(body.pulls).toBe(0);
  });

  it('accepts a body exactly at the limit', async () => {
    const text = `{"p":"${'a'.repeat(LIMIT - 8)}"}`;
    expect(encoder.encode(text).length).toBe(LIMIT);
    expect((await readJsonBody(post(text), LIMIT)).text).toBe(text);
    expect((await readJsonBody(streamed(countingBody([text.slice(0, 500), text.slice(500)]).stream), LIMIT)).text).toBe(text);
  });

  it('refuses a chunked body with 413 as soon as it passes the limit, and stops reading it', async () => {
    const body = countingBody(['x'.repeat(300)], true); // never ends on its own
    const error = await gatewayErrorOf(readJsonBody(streamed(body.stream), LIMIT));
    expect([error.status, error.code]).toEqual([413, 'request_too_large']);
    expect(body.pulls).toBe(4); // 300, 600, 900, 1200 > 1024
    expect(body.cancelled).toBe(true);
  });

  it('counts bytes, not characters, against the limit', async () => {
    const text = `{"p":"${'é'.repeat(600)}"}`; // 608 characters, 1208 bytes
    const error = await gatewayErrorOf(readJsonBody(streamed(countingBody([text]).stream), LIMIT));
    expect(error.status).toBe(413);
  });

  it('decodes multi-byte characters split across chunks', async () => {
    const bytes = encoder.encode('{"p":"é"}');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7)); // ends in the middle of "é"
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    expect(await readJsonBody(streamed(stream), LIMIT)).toEqual({ text: '{"p":"é"}', json: { p: 'é' } });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['form encoded', 'application/x-www-form-urlencoded'],
    ['JSONP', 'application/jsonp'],
    ['multipart', 'multipart/form-data; boundary=x'],
  ])('refuses a %s body with 415', async (_what, type) => {
    const error = await gatewayErrorOf(readJsonBody(post('{"model":"m"}', { 'content-type': type }), LIMIT));
    expect([error.status, error.code]).toEqual([415, 'unsupported_media_type']);
  });

  it.each([
    ['application/json', 'application/json'],
    ['a charset parameter', 'application/json; charset=utf-8'],
    ['upper case', 'Application/JSON'],
    ['a +json suffix', 'application/vnd.api+json'],
  ])('accepts a JSON content type with %s', async (_what, type) => {
    expect((await readJsonBody(post('{"model":"m"}', { 'content-type': type }), LIMIT)).json).toEqual({ model: 'm' });
  });

  it('accepts a body without a content type', async () => {
    const request = new Request(URL, { method: 'POST', body: new Blob(['{"model":"m"}']) });
    expect(request.headers.get('content-type')).toBeNull();
    expect((await readJsonBody(request, LIMIT)).json).toEqual({ model: 'm' });
  });

  it.each([
    ['an empty body', post(''), 'We could not parse the JSON body of your request. (the body is empty)'],
    ['a request without a body', new Request(URL, { method: 'POST', headers: { 'content-type': 'application/json' } }), 'We could not parse the JSON body of your request. (the body is empty)'],
  ])('answers %s with 400 invalid_json', async (_what, request, message) => {
    const error = await gatewayErrorOf(readJsonBody(request, LIMIT));
    expect(error.toBody()).toEqual({ error: { message, type: 'invalid_request_error', param: null, code: 'invalid_json' } });
    expect(error.status).toBe(400);
  });

  it.each([
    ['truncated JSON', '{"model":"m",'],
    ['a trailing comma', '{"model":"m",}'],
    ['whitespace only', '   '],
    ['not JSON at all', 'model=m'],
  ])('answers %s with 400 invalid_json naming the parse error', async (_what, text) => {
    const error = await gatewayErrorOf(readJsonBody(post(text), LIMIT));
    expect([error.status, error.code, error.type]).toEqual([400, 'invalid_json', 'invalid_request_error']);
    expect(error.message).toMatch(/^We could not parse the JSON body of your request\. \(.+\)$/);
  });
});
