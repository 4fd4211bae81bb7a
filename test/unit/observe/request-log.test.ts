// Exactly one log line per request, whatever became of it: auth failures, bad input, unknown
// routes, the gateway's own refusals, upstream failures (with every attempt), streams (after
// their end) — each with the trace it belongs to, whose context also went upstream.
import { describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { TransportError, type Transport, type UpstreamRequest } from '../../../src/backends/transport.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { traceContext } from '../../../src/observe/trace-context.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from '../core/fixtures.ts';

const FLEET = localFleet();
const SECRETS: Record<string, string> = { UPSTREAM_KEY_US_EAST: 'us', UPSTREAM_KEY_EU_WEST: 'eu', UPSTREAM_KEY_APAC: 'apac' };
const CHAT = '{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}';
const SSE = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: [DONE]\n\n';
const TRACE = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

type Answer = (r: UpstreamRequest) => ReturnType<typeof upstreamResponse> | Error;

/** One request to a fresh gateway (keys: $KEY anywhere, $EU scoped to eu), and what it logged and sent upstream. */
async function run(init: { path?: string; method?: string; headers?: Record<string, string>; body?: string }, answer: Answer = () => upstreamResponse(200, CHAT)) {
  const seen: UpstreamRequest[] = [];
  const logs: RequestLog[] = [];
  const transport: Transport = async (r) => {
    seen.push(r);
    const out = answer(r);
    if (out instanceof Error) throw out;
    return out;
  };
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const made = await keys.create({ tenant: 'acme' });
  const scoped = await keys.create({ tenant: 'acme-eu', residency: ['eu'] });
  const app = createApp({ fleet: FLEET, keys, transport, secret: (n) => SECRETS[n], log: (l) => logs.push(l) });
  const headers = Object.fromEntries(Object.entries(init.headers ?? {}).map(([k, v]) => [k, v.replace('$KEY', made.key).replace('$EU', scoped.key)]));
  const res = await app.request(init.path ?? '/v1/chat/completions', { method: init.method ?? 'POST', headers, ...(init.body === undefined ? {} : { body: init.body }) });
  await res.arrayBuffer(); // a stream's line waits for its end
  await new Promise((r) => setTimeout(r, 10));
  return { res, logs, seen };
}

const json = { 'content-type': 'application/json', authorization: 'Bearer $KEY' };
const chat = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('one log line per request', () => {
  it.each<[string, Parameters<typeof run>[0], number, string | null]>([
    ['no key', { headers: { 'content-type': 'application/json' }, body: chat() }, 401, 'invalid_api_key'],
    ['a bad key', { headers: { 'content-type': 'application/json', authorization: 'Bearer sy-nope' }, body: chat() }, 401, 'invalid_api_key'],
    ['invalid JSON', { headers: json, body: '{"model":' }, 400, 'invalid_json'],
    ['a wrong field type', { headers: json, body: chat({ stream: 'yes' }) }, 400, 'invalid_request'],
    ['a body too large', { headers: { ...json, 'content-length': String(10 * 1024 * 1024) }, body: 'x' }, 413, 'request_too_large'],
    ['a body that is not JSON', { headers: { ...json, 'content-type': 'text/plain' }, body: 'hi' }, 415, 'unsupported_media_type'],
    ['an unknown route', { path: '/v2/nothing', headers: json, body: '{}' }, 404, 'not_found'],
    ['a wrong method', { method: 'GET', headers: json }, 405, 'method_not_allowed'],
    ['an unknown model', { headers: json, body: chat({ model: 'nope' }) }, 404, 'model_not_found'],
    ["the gateway's own refusal (key scope)", { headers: { ...json, authorization: 'Bearer $EU' }, body: chat({ model: 'llama-3.1-70b' }) }, 403, 'permission_denied'],
    ['a CORS preflight', { method: 'OPTIONS', headers: { origin: 'https://app.example' } }, 204, null],
    ['a health check', { path: '/healthz', method: 'GET' }, 200, null],
    ['a success', { headers: json, body: chat() }, 200, null],
  ])('writes one line for %s', async (_what, init, status, code) => {
    const { res, logs } = await run(init);
    expect(res.status).toBe(status);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ status, method: init.method ?? 'POST', path: init.path ?? '/v1/chat/completions', requestId: res.headers.get('x-request-id') });
    expect(logs[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    if (code === null) expect(logs[0]?.error).toBeUndefined();
    else expect(logs[0]?.error?.code).toBe(code);
  });

  it('lists every attempt of a request that failed, and what the upstream said (without its secrets)', async () => {
    // The first endpoint tried refuses the connection, the next one answers 500, which follows the
    // request and ends the walk (which ones are tried first varies: equals are ranked at random
    // without a caller location).
    let calls = 0;
    const { res, logs } = await run({ headers: json, body: chat() }, () =>
      calls++ === 0 ? new TransportError('network', 'ECONNREFUSED') : upstreamResponse(500, '{"error":{"message":"engine dead at http://10.0.0.4:8000 token us"}}'),
    );
    expect(res.status).toBe(502);
    expect(logs).toHaveLength(1);
    expect(logs[0]?.attempts?.map((a) => String(a.outcome))).toEqual(['network', '500']);
    expect(logs[0]?.error).toMatchObject({ code: 'upstream_error', message: expect.stringMatching(/^the upstream failed on this request \(HTTP 500\)/) });
    expect(logs[0]?.error?.upstream).toBe('engine dead at http://10.0.0.4:8000 token us');
  });

  it('writes a stream\'s line after its end, with how it ended', async () => {
    const { logs } = await run({ headers: json, body: chat({ stream: true }) }, () => upstreamResponse(200, SSE, { 'content-type': 'text/event-stream' }));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ status: 200, stream: true, streamOutcome: 'completed', tenant: 'acme', model: 'llama-3.1-8b' });
  });
});

describe('trace context', () => {
  it("joins the caller's trace: same trace id upstream and in the log, the gateway's own span as parent", async () => {
    const { logs, seen } = await run({ headers: { ...json, traceparent: TRACE, tracestate: 'vendor=1' }, body: chat() });
    const sent = seen[0]?.headers['traceparent'] ?? '';
    expect(sent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(sent).not.toBe(TRACE);
    expect(seen[0]?.headers['tracestate']).toBe('vendor=1');
    expect(logs[0]).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', parentSpanId: '00f067aa0ba902b7', spanId: sent.split('-')[2] });
  });

  it.each([
    ['no traceparent', undefined],
    ['a malformed one', '00-xyz-01'],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
  ])('starts a new trace for %s, and drops its tracestate', (_what, header) => {
    const t = traceContext(header, 'vendor=1');
    expect(t.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(t.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(t.tracestate).toBeUndefined();
    expect(t.parentSpanId).toBeUndefined();
  });

  it('keeps a tracestate only when it is one sane header line', () => {
    expect(traceContext(TRACE, 'a=1\r\nx-evil: 1').tracestate).toBeUndefined();
    expect(traceContext(TRACE, 'x'.repeat(600)).tracestate).toBeUndefined();
  });
});
