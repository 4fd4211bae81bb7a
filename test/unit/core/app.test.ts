import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { TransportError, type Transport, type UpstreamRequest, type UpstreamResponse } from '../../../src/backends/transport.ts';
import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from './fixtures.ts';

const FLEET = localFleet();
const NOW = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'us-east-secret', UPSTREAM_KEY_EU_WEST: 'eu-west-secret', UPSTREAM_KEY_APAC: 'apac-secret' };

const CHAT_OK = '{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}';
const SSE = [
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}\n\n',
  'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n',
  'data: [DONE]\n\n',
];
const TRUNCATED_EVENT =
  'event: error\ndata: {"error":{"message":"the upstream ended the stream before it was complete","type":"server_error","param":null,"code":"stream_truncated"}}\n\n';

type Answer = UpstreamResponse | Error;

/** A Transport that answers from `answer` and records every request it was given. */
function fakeTransport(answer: (request: UpstreamRequest, n: number) => Answer = () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' })) {
  const seen: UpstreamRequest[] = [];
  const transport: Transport = async (request) => {
    seen.push(request);
    const result = answer(request, seen.length);
    if (result instanceof Error) throw result;
    return result;
  };
  return { transport, seen };
}

let keys: ApiKeys;
/** Keys: anywhere; residency eu; region us-east only; region apac only. */
const key = { any: '', eu: '', usEast: '', apac: '', revoked: '' };

beforeAll(async () => {
  keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  key.any = (await keys.create({ tenant: 'acme' })).key;
  key.eu = (await keys.create({ tenant: 'acme-eu', residency: ['eu'] })).key;
  key.usEast = (await keys.create({ tenant: 'acme-us', regions: ['us-east'] })).key;
  key.apac = (await keys.create({ tenant: 'acme-apac', regions: ['apac'] })).key;
  const revoked = await keys.create({ tenant: 'gone' });
  key.revoked = revoked.key;
  await keys.revoke(revoked.record.id);
});

function gateway(answer?: (request: UpstreamRequest, n: number) => Answer, fleet: CompiledFleet = FLEET, secrets: Readonly<Record<string, string>> = SECRETS) {
  const { transport, seen } = fakeTransport(answer);
  const logs: RequestLog[] = [];
  const app = createApp({ fleet, keys, transport, secret: (name) => secrets[name], log: (line) => logs.push(line), now: () => NOW });
  return { app, seen, logs };
}

const auth = (k: string) => ({ authorization: `Bearer ${k}` });
const json = (k: string, extra: Record<string, string> = {}) => ({ ...auth(k), 'content-type': 'application/json', ...extra });
const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], ...extra });

/** A request carrying Cloudflare's `cf` geo (strings, as on Workers). */
const fromCity = (init: RequestInit, cf: Record<string, string>, path = '/v1/chat/completions') =>
  Object.assign(new Request(`http://gateway.test${path}`, init), { cf });
const TOKYO = { latitude: '35.68', longitude: '139.69', continent: 'AS', country: 'JP' };
const NEW_YORK = { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' };

const errorBody = (message: string, type: string, code: string, param: string | null = null) => ({ error: { message, type, param, code } });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('authentication', () => {
  const MISSING = 'You did not provide an API key. Send it as "Authorization: Bearer <key>".';
  const INVALID = 'Incorrect, unknown or revoked API key.';

  it.each<[string, () => Record<string, string>, string]>([
    ['no Authorization header', () => ({}), MISSING],
    ['a Basic credential', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), INVALID],
    ['a Bearer without a key', () => ({ authorization: 'Bearer' }), INVALID],
    ['a malformed key', () => ({ authorization: 'Bearer sk-not-ours' }), INVALID],
    ['a well-formed unknown key', () => ({ authorization: `Bearer sy-${'A'.repeat(40)}` }), INVALID],
    ['a revoked key', () => auth(key.revoked), INVALID],
  ])('answers %s with 401 invalid_api_key in OpenAI shape and www-authenticate', async (_what, headers, message) => {
    const { app, seen } = gateway();
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: chatBody() });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual(errorBody(message, 'authentication_error', 'invalid_api_key'));
    expect(seen).toHaveLength(0);
  });

  it('guards /v1/models too', async () => {
    const res = await gateway().app.request('/v1/models');
    expect(res.status).toBe(401);
  });
});

describe('routes', () => {
  it('answers /healthz without a key', async () => {
    const res = await gateway().app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', regions: 3, models: 3, endpoints: 7 });
  });

  it('reports /healthz degraded when a region names an upstream secret that is not set', async () => {
    const { UPSTREAM_KEY_APAC: _, ...withoutApac } = SECRETS;
    const res = await gateway(undefined, FLEET, withoutApac).app.request('/healthz');
    expect(await res.json()).toEqual({ status: 'degraded', regions: 3, models: 3, endpoints: 7, problems: ['region apac: upstream credentials are not set'] });
  });

  it('answers an unknown route with 404 not_found', async () => {
    const res = await gateway().app.request('/v2/chat/completions', { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual(errorBody('Unknown route: /v2/chat/completions', 'not_found_error', 'not_found'));
  });

  it.each([
    ['GET', '/v1/chat/completions'],
    ['PUT', '/v1/completions'],
    ['POST', '/v1/models'],
  ])('answers %s %s with 405 method_not_allowed', async (method, path) => {
    const res = await gateway().app.request(path, { method, headers: auth(key.any) });
    expect(res.status).toBe(405);
    expect(await res.json()).toEqual(errorBody(`Method ${method} is not allowed on ${path}.`, 'invalid_request_error', 'method_not_allowed'));
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers an unknown model with 404 model_not_found', async () => {
    const { app, seen } = gateway();
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.any), body: chatBody({ model: 'gpt-4o' }) });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(errorBody('The model `gpt-4o` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found', 'model'));
    expect(seen).toHaveLength(0);
  });

  it('answers an invalid request with 400 naming the parameter', async () => {
    const res = await gateway().app.request('/v1/chat/completions', { method: 'POST', headers: json(key.any), body: chatBody({ temperature: 'hot' }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(errorBody('temperature: Invalid input: expected number, received string', 'invalid_request_error', 'invalid_request', 'temperature'));
  });

  it.each([
    ['a declared Content-Length', true],
    ['a chunked body', false],
  ])('answers a body over the fleet limit with 413 (%s)', async (_what, declare) => {
    const small: CompiledFleet = { ...FLEET, routing: { ...FLEET.routing, limits: { ...FLEET.routing.limits, maxBodyBytes: 1024 } } };
    const { app, seen } = gateway(undefined, small);
    const body = chatBody({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] });
    const headers = declare ? json(key.any, { 'content-length': String(body.length) }) : json(key.any);
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers, body });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual(errorBody('Request body exceeds the limit of 1024 bytes.', 'invalid_request_error', 'request_too_large'));
    expect(seen).toHaveLength(0);
  });

  it('forwards the client body byte for byte, unknown and vLLM fields included', async () => {
    // kv_transfer_params from clients only where the routing policy accepts them (test/unit/core/kv-transfer.test.ts).
    const { app, seen } = gateway(undefined, { ...FLEET, routing: { ...FLEET.routing, kvTransfer: { fromClients: true, remoteHosts: [] } } });
    const body =
      '{ "model" : "llama-3.1-8b",\n  "messages":[{"role":"user","content":"Hi \\u00e9","cache_control":{"type":"ephemeral"}}],\n' +
      '  "top_k":40, "min_p":0.05, "repetition_penalty":1.1, "guided_json":{"type":"object"}, "chat_template_kwargs":{"enable_thinking":false},\n' +
      '  "priority":-1, "cache_salt":"s", "kv_transfer_params":{"do_remote_decode":true}, "max_completion_tokens":16,\n' +
      '  "stream_options":{"include_usage":true}, "temperature":0.70, "some_future_field":[1,2,3] }';
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.eu), body });
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toBe(body);
    expect([seen[0]?.method, seen[0]?.url]).toEqual(['POST', 'http://127.0.0.1:8201/v1/chat/completions']);
    expect(seen[0]?.headers).toEqual({
      traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'x-request-id': res.headers.get('x-request-id'),
      authorization: 'Bearer eu-west-secret',
      // The tenant, for llm-d's flow control (the client's own headers are never forwarded).
      'x-gateway-inference-fairness-id': 'acme-eu',
    });
  });

  it("forwards vLLM's own request shapes byte for byte, however far beyond OpenAI's they go", async () => {
    const { app, seen } = gateway();
    const bodies = [
      '{"model":"llama-3.1-8b","messages":[{"role":"system","content":"Environment: ipython"},{"role":"ipython","content":"{\\"ok\\":1}"}],"temperature":2.5}',
      '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"x"}],"response_format":{"type":"structural_tag","structures":[{"begin":"<f>","schema":{},"end":"</f>"}],"triggers":["<f>"]}}',
      '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"x"}],"guided_regex":"\\\\d+","guided_choice":["a","b"],"guided_decoding_backend":"xgrammar","top_p":1.7,"n":0,"min_tokens":3,"bad_words":["x"]}',
      '{"model":"llama-3.1-8b","messages":[{"role":"critic","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}],"presence_penalty":5,"logprobs":true,"top_logprobs":30}',
    ];
    for (const body of bodies) {
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.eu), body });
      expect(res.status).toBe(200);
    }
    expect(seen.map((r) => r.body)).toEqual(bodies);
  });

  it('answers with the upstream body and the routing headers', async () => {
    const { app } = gateway();
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast), body: chatBody() });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(CHAT_OK);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-switchyard-model')).toBe('llama-3.1-8b');
    expect(res.headers.get('x-switchyard-region')).toBe('us-east');
    expect(res.headers.get('x-switchyard-tier')).toBe('small');
    expect(res.headers.get('x-switchyard-route')).toBe('region=us-east placement=edge geo=1 fallbacks=1');
  });

  it('routes a caller in Tokyo to apac and says why', async () => {
    const { app, seen } = gateway();
    const res = await app.request(fromCity({ method: 'POST', headers: json(key.any), body: chatBody() }, TOKYO));
    expect(res.headers.get('x-switchyard-region')).toBe('apac');
    expect(res.headers.get('x-switchyard-route')).toBe('region=apac placement=edge geo=0.73 fallbacks=3');
    expect(seen.map((r) => r.url)).toEqual(['http://127.0.0.1:8301/v1/chat/completions']);
  });

  it('sends a model served under /openai/v1 (KServe Hugging Face runtime) to that path', async () => {
    const { app, seen } = gateway();
    await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.eu), body: chatBody({ model: 'qwen2.5-32b' }) });
    expect(seen.map((r) => r.url)).toEqual(['http://127.0.0.1:8202/openai/v1/chat/completions']);
  });

  it('sends /v1/completions to the completions route', async () => {
    const { app, seen } = gateway();
    const body = '{"model":"llama-3.1-8b","prompt":"Once upon a time","top_k":3}';
    const res = await app.request('/v1/completions', { method: 'POST', headers: json(key.apac), body });
    expect(res.status).toBe(200);
    expect(seen.map((r) => [r.url, r.body])).toEqual([['http://127.0.0.1:8301/v1/completions', body]]);
  });

  it('fails over before the first byte to the next nearest region', async () => {
    const { app, seen, logs } = gateway((request) =>
      request.url.startsWith('http://127.0.0.1:83') ? new TransportError('network', 'ECONNREFUSED') : upstreamResponse(200, CHAT_OK),
    );
    const res = await app.request(fromCity({ method: 'POST', headers: json(key.any), body: chatBody() }, TOKYO));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(seen.map((r) => r.url)).toEqual(['http://127.0.0.1:8301/v1/chat/completions', 'http://127.0.0.1:8201/v1/chat/completions']);
    await sleep(10);
    expect(logs.map((l) => [l.status, l.region, l.attempts?.map((a) => a.outcome)])).toEqual([[200, 'eu-west', ['network', 200]]]);
  });

  it('passes a client error from vLLM through with its status and message, without retrying', async () => {
    const { app, seen } = gateway(() =>
      upstreamResponse(400, '{"error":{"message":"max_tokens must be at most 8192","type":"BadRequestError","param":"max_tokens","code":400}}'),
    );
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.any), body: chatBody({ max_tokens: 100000 }) });
    expect(res.status).toBe(400);
    // vLLM's message and param reach the client; its type (BadRequestError) becomes OpenAI's.
    expect(await res.json()).toEqual(errorBody('max_tokens must be at most 8192', 'invalid_request_error', 'invalid_request', 'max_tokens'));
    expect(seen).toHaveLength(1);
  });

  it('tries at most three endpoints, then answers 503 upstream_unreachable', async () => {
    const { app, seen } = gateway(() => new TransportError('network', 'ECONNREFUSED'));
    const res = await app.request(fromCity({ method: 'POST', headers: json(key.any), body: chatBody() }, NEW_YORK));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual(errorBody('The upstream could not be reached.', 'service_unavailable_error', 'upstream_unreachable'));
    // One us-east pod refuses; the region is then deferred, so the other regions are tried next.
    expect(seen.map((r) => r.url)).toEqual([
      expect.stringMatching(/^http:\/\/127\.0\.0\.1:810[12]\/v1\/chat\/completions$/),
      'http://127.0.0.1:8201/v1/chat/completions',
      'http://127.0.0.1:8301/v1/chat/completions',
    ]);
  });

  it('answers 502 when the upstream body is cut before it is complete', async () => {
    const cut: UpstreamResponse = { ...upstreamResponse(200, CHAT_OK), bytes: () => Promise.reject(new TypeError('terminated')) };
    const res = await gateway(() => cut).app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast), body: chatBody() });
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual(errorBody('The upstream sent an unusable response.', 'server_error', 'upstream_error'));
  });

  describe('upstream credentials', () => {
    it.each([
      ['us-east', () => key.usEast, 'Bearer us-east-secret'],
      ['eu-west', () => key.eu, 'Bearer eu-west-secret'],
      ['apac', () => key.apac, 'Bearer apac-secret'],
    ])("send the %s region's own token, never the client key", async (_region, k, authorization) => {
      const { app, seen } = gateway();
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(k()), body: chatBody() });
      expect(res.status).toBe(200);
      expect(seen[0]?.headers['authorization']).toBe(authorization);
      expect(JSON.stringify(seen[0]?.headers)).not.toContain(k());
    });

    it('never call a region whose secret is missing: the next region serves, or a clear 502 when none can', async () => {
      const { UPSTREAM_KEY_APAC: _, ...withoutApac } = SECRETS;
      const { app, seen, logs } = gateway(undefined, FLEET, withoutApac);
      const tokyo = await app.request(fromCity({ method: 'POST', headers: json(key.any), body: chatBody() }, TOKYO));
      expect([tokyo.status, tokyo.headers.get('x-switchyard-region')]).toEqual([200, 'eu-west']);
      const scoped = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.apac), body: chatBody() });
      expect(scoped.status).toBe(502);
      expect(await scoped.json()).toEqual(
        errorBody('The gateway has no upstream credentials for region apac; its operator must set them. Nothing was sent.', 'server_error', 'upstream_credentials_missing'),
      );
      expect(seen.map((r) => r.url)).toEqual(['http://127.0.0.1:8201/v1/chat/completions']);
      await sleep(10);
      expect(logs.map((l) => [l.status, l.attempts?.map((a) => a.outcome)])).toEqual([
        [200, ['no-credentials', 200]],
        [502, ['no-credentials']],
      ]);
    });
  });

  describe('request ids', () => {
    it('echoes a client-provided x-request-id and sends it upstream', async () => {
      const { app, seen } = gateway();
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast, { 'x-request-id': 'client-req-42' }), body: chatBody() });
      expect(res.headers.get('x-request-id')).toBe('client-req-42');
      expect(seen[0]?.headers['x-request-id']).toBe('client-req-42');
    });

    it('makes up a request id when the client sends none (or an unusable one), and sends the same one upstream', async () => {
      const { app, seen } = gateway();
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast, { 'x-request-id': 'has spaces' }), body: chatBody() });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(seen[0]?.headers['x-request-id']).toBe(id);
    });
  });

  describe('streaming', () => {
    it('relays an SSE stream chunk for chunk', async () => {
      const { app, logs } = gateway(() => upstreamResponse(200, SSE, { 'content-type': 'text/event-stream' }));
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast), body: chatBody({ stream: true }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('x-switchyard-region')).toBe('us-east');
      expect(await res.text()).toBe(SSE.join(''));
      await sleep(10);
      expect(logs.map((l) => [l.status, l.stream, l.streamOutcome])).toEqual([[200, true, 'completed']]);
    });

    it('ends a stream the upstream cut with the SSE error event', async () => {
      const { app, logs } = gateway(() => upstreamResponse(200, SSE.slice(0, 2), { 'content-type': 'text/event-stream' }));
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.usEast), body: chatBody({ stream: true }) });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(SSE.slice(0, 2).join('') + TRUNCATED_EVENT);
      await sleep(10);
      expect(logs.map((l) => l.streamOutcome)).toEqual(['stream_truncated']);
    });
  });
});

describe('residency', () => {
  interface ModelList {
    object: string;
    data: { id: string; regions: string[] }[];
  }
  /** The entries for served model ids (the list may also offer `auto` and tier names). */
  const served = (list: ModelList) => list.data.filter((m) => FLEET.models.some((f) => f.id === m.id));

  it('lists in /v1/models only the models with an endpoint in the key scope', async () => {
    const res = await gateway().app.request('/v1/models', { headers: auth(key.eu) });
    expect(res.status).toBe(200);
    const created = Math.floor(NOW / 1000);
    const body = (await res.json()) as ModelList;
    expect(body.object).toBe('list');
    expect(served(body)).toEqual([
      { id: 'llama-3.1-8b', object: 'model', created, owned_by: 'switchyard', tier: 'small', capabilities: ['chat', 'completions', 'responses', 'tokenize'], regions: ['eu-west'], available_regions: ['eu-west'] },
      { id: 'qwen2.5-32b', object: 'model', created, owned_by: 'switchyard', tier: 'medium', capabilities: ['chat', 'completions', 'responses', 'tokenize'], regions: ['eu-west'], available_regions: ['eu-west'] },
    ]);
    // Neither the us-east-only model nor the tier that only it serves is offered.
    expect(body.data.map((m) => m.id)).not.toContain('llama-3.1-70b');
    expect(body.data.map((m) => m.id)).not.toContain('large');
  });

  it('lists every model and region for an unscoped key', async () => {
    const res = await gateway().app.request('/v1/models', { headers: auth(key.any) });
    const body = (await res.json()) as ModelList;
    expect(served(body).map((m) => [m.id, m.regions])).toEqual([
      ['llama-3.1-8b', ['us-east', 'eu-west', 'apac']],
      ['qwen2.5-32b', ['us-east', 'eu-west']],
      ['llama-3.1-70b', ['us-east']],
    ]);
  });

  it('answers 403 permission_denied (not retryable) for a model served only outside the key zone, without calling anything', async () => {
    const { app, seen } = gateway();
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.eu), body: chatBody({ model: 'llama-3.1-70b' }) });
    expect(res.status).toBe(403);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual(errorBody('Model `llama-3.1-70b` is not served in any region or residency zone your API key allows.', 'permission_error', 'permission_denied', 'model'));
    expect(seen).toHaveLength(0);
  });

  it.each<[string, () => Answer, number]>([
    ['answer 503', () => upstreamResponse(503, '{"error":"Model is not ready"}', { 'retry-after': '5' }), 503],
    ['cannot be reached', () => new TransportError('network', 'ECONNREFUSED'), 503],
    ['time out connecting', () => new TransportError('connect', 'no response headers', { timeoutMs: 2000 }), 504],
  ])('keeps an eu key in the EU when its endpoints %s, even for a caller in New York', async (_what, answer, status) => {
    const { app, seen } = gateway(answer);
    const res = await app.request(fromCity({ method: 'POST', headers: json(key.eu), body: chatBody() }, NEW_YORK));
    expect(res.status).toBe(status);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.map((r) => r.url)).toEqual(seen.map(() => 'http://127.0.0.1:8201/v1/chat/completions'));
  });

  it('carries Retry-After from the last upstream 503', async () => {
    const { app } = gateway(() => upstreamResponse(503, '{"error":"Model is not ready"}', { 'retry-after': '5' }));
    const res = await app.request('/v1/chat/completions', { method: 'POST', headers: json(key.eu), body: chatBody() });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual(errorBody('upstream error (HTTP 503)', 'service_unavailable_error', 'upstream_error'));
  });
});
