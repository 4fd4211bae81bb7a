// The answer's headers gathered as one record (src/api/answer-headers.ts): on an answer built by
// answer(), on an error, on a route's own c.json() answer, and on a response with immutable
// headers; a route's own headers win over the record's.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { answer, answerHeaders, JSON_HEADERS, setAnswerHeader } from '../../../src/api/answer-headers.ts';
import type { AppEnv } from '../../../src/app-env.ts';

function app(): Hono<AppEnv> {
  const a = new Hono<AppEnv>();
  a.use('*', answerHeaders());
  a.use('*', (c, next) => {
    setAnswerHeader(c, 'x-request-id', 'r-1');
    setAnswerHeader(c, 'x-ratelimit-remaining-requests', '9');
    return next();
  });
  a.get('/answer', (c) => {
    setAnswerHeader(c, 'x-switchyard-model', 'm');
    return answer(c, '{"ok":true}', 200, JSON_HEADERS);
  });
  a.get('/own-wins', (c) => answer(c, 'x', 429, { 'content-type': 'text/plain', 'x-ratelimit-remaining-requests': '0' }));
  a.get('/json', (c) => c.json({ ok: true }));
  a.get('/json-own', (c) => c.json({ ok: true }, 200, { 'x-request-id': 'route-own' }));
  a.get('/immutable', () => Response.redirect('https://example.com/', 302));
  a.get('/throws', () => {
    throw new Error('boom');
  });
  a.onError((_error, c) => answer(c, '{"error":{}}', 500, JSON_HEADERS));
  return a;
}

const headersOf = (r: Response) => Object.fromEntries(r.headers);

describe('answer headers', () => {
  it('an answer built by answer() carries the record and its own headers', async () => {
    const r = await app().request('/answer');
    expect(r.status).toBe(200);
    expect(headersOf(r)).toEqual({ 'content-type': 'application/json', 'x-request-id': 'r-1', 'x-ratelimit-remaining-requests': '9', 'x-switchyard-model': 'm' });
    expect(await r.text()).toBe('{"ok":true}');
  });

  it("the answer's own headers win over the record's", async () => {
    const r = await app().request('/own-wins');
    expect(r.status).toBe(429);
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(r.headers.get('content-type')).toBe('text/plain');
  });

  it("a route's own c.json() answer gets the record's headers it lacks, and keeps its own", async () => {
    const plain = await app().request('/json');
    expect(plain.headers.get('x-request-id')).toBe('r-1');
    expect(plain.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect(await plain.json()).toEqual({ ok: true });
    const own = await app().request('/json-own');
    expect(own.headers.get('x-request-id')).toBe('route-own');
  });

  it('a response with immutable headers is copied to carry them', async () => {
    const r = await app().request('/immutable');
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://example.com/');
    expect(r.headers.get('x-request-id')).toBe('r-1');
  });

  it('an error answer carries what was set before the error', async () => {
    const r = await app().request('/throws');
    expect(r.status).toBe(500);
    expect(r.headers.get('x-request-id')).toBe('r-1');
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('9');
  });

  it('without the middleware, setAnswerHeader falls back to the context', async () => {
    const bare = new Hono<AppEnv>();
    bare.get('/', (c) => {
      setAnswerHeader(c, 'x-request-id', 'r-2');
      return c.text('ok');
    });
    expect((await bare.request('/')).headers.get('x-request-id')).toBe('r-2');
  });
});
