// The gateway's own code never answers 500 to what a client sends: odd but valid bodies are
// served, invalid ones get a 4xx in OpenAI's shape, and nothing recurses on deep nesting.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { rewriteModel } from '../../../src/api/rewrite-model.ts';
import { GatewayError } from '../../../src/api/errors.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport, UpstreamRequest } from '../../../src/backends/transport.ts';
import { canonicalJson, keyMaterial } from '../../../src/cache/key.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from './fixtures.ts';

const FLEET = localFleet();
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'a-secret', UPSTREAM_KEY_EU_WEST: 'b-secret', UPSTREAM_KEY_APAC: 'c-secret' };
const COMPLETION = '{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":"ok","finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';

const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
let key = '';
beforeAll(async () => {
  key = (await keys.create({ tenant: 'acme' })).key;
});

function gateway() {
  const sent: UpstreamRequest[] = [];
  const transport: Transport = async (request) => {
    sent.push(request);
    return upstreamResponse(200, COMPLETION, { 'content-type': 'application/json' });
  };
  const errors: unknown[] = [];
  const app = createApp({ fleet: FLEET, keys, transport, secret: (n) => SECRETS[n], metrics: false });
  return { app, sent, errors };
}

const post = (app: ReturnType<typeof gateway>['app'], path: string, body: string) =>
  app.request(path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body });

const nestedArrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('client input the gateway must serve', () => {
  it.each([
    ['a token-id prompt, classified', '/v1/completions', '{"model":"auto","prompt":[[1,2,3]]}'],
    ['a flat token-id prompt, classified', '/v1/completions', '{"model":"auto","prompt":[1,2,3],"max_tokens":4}'],
    ['a token-id prompt, cached', '/v1/completions', '{"model":"auto","prompt":[[1,2,3]],"temperature":0}'],
    ['valid chat messages sent to /v1/completions (vLLM ignores them)', '/v1/completions', '{"model":"auto","prompt":"hi","messages":[{"role":"user","content":"x"}]}'],
    ['a completions field of an odd type the gateway does not read', '/v1/completions', '{"model":"auto","prompt":"hi","max_completion_tokens":"lots","tools":7,"response_format":[1]}'],
    ['unusual chat content parts', '/v1/chat/completions', '{"model":"auto","messages":[{"role":"user","content":[null,1,{"type":"text"},{"type":"text","text":5}]}],"response_format":"json","tools":[null]}'],
    ['nesting within the limit', '/v1/chat/completions', `{"model":"small","temperature":0,"messages":[{"role":"user","content":"x"}],"extra":${nestedArrays(60)}}`],
  ])('serves %s', async (_what, path, body) => {
    const { app, sent } = gateway();
    const response = await post(app, path, body);
    expect(response.status).toBe(200);
    expect(sent).toHaveLength(1);
  });
});

describe('client input the gateway must refuse with a 4xx, never a 500', () => {
  it.each([
    ['messages: true on /v1/completions', '/v1/completions', '{"model":"auto","prompt":"hi","messages":true}', 'messages'],
    ['messages: [null] on /v1/completions', '/v1/completions', '{"model":"auto","prompt":"hi","messages":[null]}', 'messages.0'],
    ['messages: true on /v1/chat/completions', '/v1/chat/completions', '{"model":"auto","messages":true}', 'messages'],
    ['messages: [null] on /v1/chat/completions', '/v1/chat/completions', '{"model":"auto","messages":[null]}', 'messages.0'],
    ['arrays nested 3,000 deep in a cacheable request', '/v1/chat/completions', `{"model":"llama-3.1-8b","temperature":0,"messages":[{"role":"user","content":"x"}],"extra":${nestedArrays(3_000)}}`, null],
    ['arrays nested 100,000 deep in a cacheable request', '/v1/chat/completions', `{"model":"llama-3.1-8b","temperature":0,"messages":[{"role":"user","content":"x"}],"extra":${nestedArrays(100_000)}}`, null],
    ['objects nested 100,000 deep behind an alias (the rewrite path)', '/v1/chat/completions', `{"model":"small","messages":[{"role":"user","content":"x"}],"tools":[{"model":"small","x":${nestedObjects(100_000)}}]}`, null],
    ['arrays nested 100,000 deep in the Responses API', '/v1/responses', `{"model":"auto","input":${nestedArrays(100_000)}}`, null],
  ])('%s', async (_what, path, body, param) => {
    const { app, sent } = gateway();
    const response = await post(app, path, body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { type: string; code: string; param: string | null; message: string } };
    expect(error.type).toBe('invalid_request_error');
    if (param !== null) expect(error.param).toBe(param);
    expect(sent).toHaveLength(0);
  });
});

describe('no unbounded recursion on deep nesting', () => {
  it('canonicalJson refuses a value nested past the limit with a 400, not a stack overflow', () => {
    const deep = JSON.parse(nestedArrays(100_000)) as unknown;
    expect(() => canonicalJson(deep)).toThrow(GatewayError);
    expect(() => keyMaterial({ tenant: 't', kind: 'chat', model: 'm', request: { x: deep } })).toThrow(expect.objectContaining({ status: 400 }));
  });

  it('rewriteModel splices the id without re-serializing a deep body', () => {
    const text = `{"model":"small","a":{"model":"small"},"x":${nestedArrays(100_000)}}`;
    const out = rewriteModel(text, JSON.parse(text) as Record<string, unknown>, 'small', 'llama-3.1-8b');
    expect(out).toBe(`{"model":"llama-3.1-8b","a":{"model":"small"},"x":${nestedArrays(100_000)}}`);
  });
});

describe('__proto__ in a body', () => {
  it('is part of the cache key as it is part of what is forwarded: two bodies that differ only there never share an answer', async () => {
    const { app, sent } = gateway();
    const body = (v: number) => `{"model":"llama-3.1-8b","temperature":0,"messages":[{"role":"user","content":"x"}],"__proto__":{"system":"${v}"}}`;
    const first = await post(app, '/v1/chat/completions', body(1));
    expect(first.headers.get('x-switchyard-cache')).toBe('miss');
    await first.text();
    await new Promise((r) => setTimeout(r, 10)); // the fill is deferred
    const second = await post(app, '/v1/chat/completions', body(2));
    expect(second.headers.get('x-switchyard-cache')).toBe('miss');
    expect(sent.map((r) => r.body)).toEqual([body(1), body(2)]);
    await new Promise((r) => setTimeout(r, 10));
    expect((await post(app, '/v1/chat/completions', body(1))).headers.get('x-switchyard-cache')).toBe('hit-l1');
  });
});
