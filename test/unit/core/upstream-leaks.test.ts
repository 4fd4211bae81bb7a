// What an upstream says when it fails reaches the client only as a status and a safe summary:
// never its hosts, addresses, URLs, paths, tracebacks or credentials. The operator's log line
// keeps the full text, secrets removed.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { TransportError, type Transport, type UpstreamResponse } from '../../../src/backends/transport.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from './fixtures.ts';

const FLEET = localFleet();
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'us-east-secret-7Hq2', UPSTREAM_KEY_EU_WEST: 'eu-west-secret-9Zx4', UPSTREAM_KEY_APAC: 'apac-secret-3Kp8' };
const NEW_YORK = { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' };

const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
let key = '';
beforeAll(async () => {
  key = (await keys.create({ tenant: 'acme' })).key;
});

async function ask(answer: () => UpstreamResponse | Error, body: Record<string, unknown> = {}) {
  const logs: RequestLog[] = [];
  const transport: Transport = async () => {
    const a = answer();
    if (a instanceof Error) throw a;
    return a;
  };
  const app = createApp({ fleet: FLEET, keys, transport, secret: (n) => SECRETS[n], log: (l) => logs.push(l) });
  const request = Object.assign(
    new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], ...body }),
    }),
    { cf: NEW_YORK },
  );
  const response = await app.request(request);
  const text = await response.text();
  await new Promise((r) => setTimeout(r, 0));
  return { status: response.status, text, log: logs[0] };
}

const json = (status: number, error: unknown) => () => upstreamResponse(status, JSON.stringify(error), { 'content-type': 'application/json' });

const TRACEBACK =
  'Traceback (most recent call last):\n  File "/usr/local/lib/python3.12/site-packages/vllm/entrypoints/openai/serving_chat.py", line 211, in create\n' +
  '    raise RecursionError\nRecursionError: maximum recursion depth exceeded (worker vllm-0.vllm.inference.svc.cluster.local:8000)';

/** Strings that must never reach a client, whatever the upstream put them in. */
const LEAKS = [
  'us-east-secret-7Hq2',
  'eu-west-secret-9Zx4',
  'apac-secret-3Kp8',
  '10.42.0.17',
  '127.0.0.1',
  'fe80::1ff:fe23:4567:890a',
  '2001:db8::8a2e:370:7334',
  'svc.cluster.local',
  'gpu-17.us-east.acme.cloud',
  'vllm-0.internal',
  'llama-8b-predictor-00001.kserve.example.com',
  '/usr/local/lib',
  '/mnt/models',
  '/etc/passwd',
  'site-packages',
  'Traceback',
  'sk-live-51Habcdef0123456789abcdef',
  'AKIAIOSFODNN7EXAMPLE',
  'ECONNREFUSED',
  'goroutine',
  'at Object.<anonymous>',
];

describe('upstream failures, as the client sees them', () => {
  it.each<[string, () => UpstreamResponse | Error, number]>([
    ['a 500 with a Python traceback', json(500, { error: { message: TRACEBACK, type: 'InternalServerError', param: null, code: 500 } }), 502],
    ['an ingress 503 page naming its upstream', () => upstreamResponse(503, '<html><body>no healthy upstream: 10.42.0.17:8000 (llama-8b-predictor-00001.kserve.example.com)</body></html>', { 'content-type': 'text/html' }), 503],
    ['a 401 echoing the region key', json(401, { error: { message: "Invalid API key 'us-east-secret-7Hq2' for eu-west-secret-9Zx4", type: 'AuthenticationError', code: 401 } }), 502],
    ['a 403 naming some other token', json(403, { detail: 'Forbidden: token sk-live-51Habcdef0123456789abcdef, AWS AKIAIOSFODNN7EXAMPLE' }), 502],
    ['a 400 with hosts and addresses', json(400, { error: { message: 'prompt rejected by vllm-0.internal (gpu-17.us-east.acme.cloud, fe80::1ff:fe23:4567:890a, [2001:db8::8a2e:370:7334]:8000): too long', type: 'BadRequestError', param: null, code: 400 } }), 400],
    ['a 400 whose code and param are paths and URLs', json(400, { error: { message: 'bad request', type: 'BadRequestError', param: '/etc/passwd', code: 'http://10.42.0.17/internal' } }), 400],
    ['a 404 naming the model path on disk', json(404, { error: { message: 'The model at /mnt/models/llama does not exist on gpu-17.us-east.acme.cloud', type: 'NotFoundError', code: 404 } }), 404],
    ['an envoy reset with the pod address', () => upstreamResponse(502, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: delayed connect error: 111 (10.42.0.17:8000)'), 502],
    ['a Go panic', () => upstreamResponse(500, 'panic: runtime error\n\ngoroutine 1 [running]:\nmain.main()\n\t/srv/app/main.go:12 +0x1d'), 502],
    ['a Node stack', () => upstreamResponse(500, 'Error: boom\n    at Object.<anonymous> (/srv/app/index.js:1:7)'), 502],
    ['a refused connection', () => new TransportError('network', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9104'), 503],
    ['a body cut after the headers', () => ({ ...upstreamResponse(200, '{}'), bytes: () => Promise.reject(new Error('read ECONNRESET 10.42.0.17:8000')) }), 502],
  ])('%s: status and a safe summary only', async (_what, answer, status) => {
    const { status: got, text, log } = await ask(answer);
    expect(got).toBe(status);
    const body = JSON.parse(text) as { error: { message: string; type: string; code: string | null; param: string | null } };
    expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
    for (const leak of LEAKS) expect(text).not.toContain(leak);
    expect(body.error.message.length).toBeGreaterThan(0);
    // The operator's line says what happened, but never repeats the region credentials.
    expect(log?.error?.upstream ?? '').not.toBe('');
    for (const secret of Object.values(SECRETS)) expect(JSON.stringify(log)).not.toContain(secret);
  });

  it("keeps the upstream's own words about a client mistake, which the client needs to fix it", async () => {
    const { status, text } = await ask(json(400, { error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", type: 'BadRequestError', param: 'max_tokens', code: 400 } }));
    expect(status).toBe(400);
    expect(JSON.parse(text)).toEqual({
      error: { message: "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.", type: 'invalid_request_error', param: 'max_tokens', code: 'invalid_request' },
    });
  });

  it('puts the full text in the log line, secrets removed', async () => {
    const { log } = await ask(json(500, { error: { message: `${TRACEBACK} key=us-east-secret-7Hq2`, type: 'InternalServerError', code: 500 } }));
    expect(log?.error?.upstream).toContain('svc.cluster.local:8000');
    expect(log?.error?.upstream).toContain('site-packages/vllm');
    expect(log?.error?.upstream).toContain('key=[redacted]');
  });

  it('keeps the log detail of a refused connection (the address is the operator’s to see)', async () => {
    const { log } = await ask(() => new TransportError('network', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9104'));
    expect(log?.error?.upstream).toContain('ECONNREFUSED 127.0.0.1:9104');
  });
});

describe("an upstream's 200 that is not what the route answers", () => {
  const HTML = '<html><body>Sign in to corp SSO at https://sso.corp.example.com</body></html>';

  it('is a failure of that endpoint: never relayed (as HTML, or as JSON it is not), the next endpoint serves', async () => {
    let calls = 0;
    const { status, text } = await ask(() =>
      calls++ === 0
        ? upstreamResponse(200, HTML, { 'content-type': 'text/html; charset=utf-8' })
        : upstreamResponse(200, '{"id":"c","object":"chat.completion","choices":[]}', { 'content-type': 'application/json' }),
    );
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ object: 'chat.completion' });
    expect(calls).toBe(2);
  });

  it('answers 502 when no endpoint answers with JSON, without the page', async () => {
    const { status, text, log } = await ask(() => upstreamResponse(200, HTML, { 'content-type': 'text/html' }));
    expect(status).toBe(502);
    expect(text).not.toContain('<html>');
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'upstream_error' } });
    expect(log?.error?.upstream).toMatch(/text\/html/);
  });

  it('is a failure too when a stream was asked for and JSON came back', async () => {
    let calls = 0;
    const sse = 'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: [DONE]\n\n';
    const { status, text } = await ask(
      () => (calls++ === 0 ? upstreamResponse(200, '{"id":"c","object":"chat.completion","choices":[]}', { 'content-type': 'application/json' }) : upstreamResponse(200, [sse], { 'content-type': 'text/event-stream' })),
      { stream: true },
    );
    expect(status).toBe(200);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(calls).toBe(2);
  });
});
