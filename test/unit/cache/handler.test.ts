// The cache in the request path (createApp over a fake upstream): what is cached and what is
// not, the headers of a hit, streamed and non-streamed entries serving each other, key scope.
import OpenAI from 'openai';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport, UpstreamRequest } from '../../../src/backends/transport.ts';
import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { DEFAULT_EDGE_CACHE } from '../../../src/cache/policy.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from '../core/fixtures.ts';
import { fakeColoCache } from './fakes.ts';

const FLEET = localFleet();
const NOW = 1_767_225_600_000;
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'us', UPSTREAM_KEY_EU_WEST: 'eu', UPSTREAM_KEY_APAC: 'apac' };
const CHAT_OK = '{"id":"chatcmpl-1","object":"chat.completion","created":1767225600,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}';
const head = '{"id":"chatcmpl-2","object":"chat.completion.chunk","created":1767225600,"model":"llama-3.1-8b"';
const SSE = [
  `data: ${head},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n`,
  `data: ${head},"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}\n\n`,
  `data: ${head},"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n`,
  `data: ${head},"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n`,
  'data: [DONE]\n\n',
];

const keys = { any: '', other: '', eu: '' };
let apiKeys: ApiKeys;
beforeAll(async () => {
  apiKeys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  keys.any = (await apiKeys.create({ tenant: 'acme' })).key;
  keys.other = (await apiKeys.create({ tenant: 'globex' })).key;
  keys.eu = (await apiKeys.create({ tenant: 'acme', residency: ['eu'] })).key;
});

type Answer = (request: UpstreamRequest) => ReturnType<typeof upstreamResponse>;
const json: Answer = () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' });
const sse: Answer = () => upstreamResponse(200, SSE, { 'content-type': 'text/event-stream' });

function gateway(answer: Answer = json, streamAnswer: Answer = sse) {
  const seen: UpstreamRequest[] = [];
  const transport: Transport = async (request) => {
    seen.push(request);
    return (typeof request.body === 'string' && request.body.includes('"stream":true') ? streamAnswer : answer)(request);
  };
  const logs: RequestLog[] = [];
  const clock = { now: NOW };
  const colo = fakeColoCache(() => clock.now);
  const app = createApp({ fleet: FLEET, keys: apiKeys, transport, secret: (n) => SECRETS[n], log: (l) => logs.push(l), now: () => clock.now, cache: { colo } });
  const post = async (body: Record<string, unknown>, options: { key?: string; headers?: Record<string, string>; path?: string; cf?: Record<string, string> } = {}) => {
    const request = new Request(`http://gateway.test${options.path ?? '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.key ?? keys.any}`, 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
    });
    const res = await app.request(options.cf ? Object.assign(request, { cf: options.cf }) : request);
    const text = await res.text();
    await new Promise((r) => setTimeout(r, 5)); // deferred fills and logs
    return { res, text, cache: res.headers.get('x-switchyard-cache') };
  };
  return { app, seen, logs, clock, post };
}

const NEW_YORK = { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' };
const chat = (extra: Record<string, unknown> = {}) => ({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], temperature: 0, ...extra });

describe('the response cache in the request path', () => {
  it('answers a repeated deterministic request from L1 with the same body, its own request id, and the routing headers', async () => {
    const { post, seen, logs } = gateway();
    const first = await post(chat());
    expect(first.cache).toBe('miss');
    const second = await post(chat());
    expect(second.cache).toBe('hit-l1');
    expect(second.text).toBe(CHAT_OK);
    expect(seen).toHaveLength(1);
    expect(second.res.headers.get('content-type')).toBe('application/json');
    expect(second.res.headers.get('x-switchyard-model')).toBe('llama-3.1-8b');
    expect(second.res.headers.get('x-switchyard-region')).toBe(first.res.headers.get('x-switchyard-region'));
    expect(second.res.headers.get('x-switchyard-tier')).toBe('small');
    expect(second.res.headers.get('x-switchyard-route')).toBe('cache=l1');
    expect(second.res.headers.get('age')).toBe('0');
    expect(second.res.headers.get('x-request-id')).toMatch(/.+/);
    expect(second.res.headers.get('x-request-id')).not.toBe(first.res.headers.get('x-request-id'));
    expect(logs.map((l) => l.cache)).toEqual(['miss', 'hit-l1']);
  });

  it('bypasses sampled requests: no lookup, no fill, almost no work', async () => {
    const { post, seen } = gateway();
    expect((await post(chat({ temperature: 0.7 }))).cache).toBe('bypass');
    expect((await post(chat({ temperature: 0.7 }))).cache).toBe('bypass');
    expect((await post({ model: 'auto', messages: [{ role: 'user', content: 'Hi' }] })).cache).toBe('bypass');
    expect(seen).toHaveLength(3);
  });

  it('shares entries between the names of one model (id, tier, auto)', async () => {
    const { post, seen } = gateway();
    await post(chat());
    expect((await post(chat({ model: 'small' }))).cache).toBe('hit-l1');
    // Under the reference tier rules, `auto` picks the edge (small) tier for a budget under 100 ms.
    expect((await post(chat({ model: 'auto' }), { headers: { 'x-max-latency-ms': '50' } })).cache).toBe('hit-l1');
    expect(seen).toHaveLength(1);
  });

  it('keeps tenants apart', async () => {
    const { post, seen } = gateway();
    await post(chat());
    expect((await post(chat(), { key: keys.other })).cache).toBe('miss');
    expect(seen).toHaveLength(2);
  });

  it("never serves a residency-scoped key an answer made outside its zone (and stores the in-zone answer)", async () => {
    const { post, seen } = gateway();
    const made = await post(chat(), { key: keys.any, cf: NEW_YORK });
    expect(made.res.headers.get('x-switchyard-region')).toBe('us-east');
    expect((await post(chat(), { key: keys.any })).cache).toBe('hit-l1'); // same tenant, no scope
    const eu = await post(chat(), { key: keys.eu, cf: NEW_YORK });
    expect(eu.cache).toBe('miss');
    expect(eu.res.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(seen).toHaveLength(2);
    const again = await post(chat(), { key: keys.eu, cf: NEW_YORK });
    expect([again.cache, again.res.headers.get('x-switchyard-region')]).toEqual(['hit-l1', 'eu-west']);
  });

  it('Cache-Control: no-cache skips the lookup and refreshes the entry; no-store skips both', async () => {
    const { post, seen } = gateway();
    expect((await post(chat(), { headers: { 'cache-control': 'no-store' } })).cache).toBe('bypass');
    expect((await post(chat())).cache).toBe('miss'); // no-store stored nothing
    expect((await post(chat(), { headers: { 'cache-control': 'no-cache' } })).cache).toBe('miss');
    expect((await post(chat())).cache).toBe('hit-l1');
    expect(seen).toHaveLength(3);
  });

  it('never caches an upstream error', async () => {
    let n = 0;
    const { post, seen } = gateway(() => (++n === 1 ? upstreamResponse(400, '{"error":{"message":"bad","type":"invalid_request_error","code":400}}', { 'content-type': 'application/json' }) : upstreamResponse(200, CHAT_OK)));
    expect((await post(chat())).res.status).toBe(400);
    const again = await post(chat());
    expect(again.res.status).toBe(200);
    expect(again.cache).toBe('miss');
    expect(seen).toHaveLength(2);
  });

  it('never caches a 200 whose body is not a finished completion', async () => {
    const { post, seen } = gateway(() => upstreamResponse(200, '{"choices":[{"index":0,"message":{"content":"x"},"finish_reason":null}]}'));
    await post(chat());
    expect((await post(chat())).cache).toBe('miss');
    expect(seen).toHaveLength(2);
  });

  it('caches a stream as it passes and replays it as SSE, with usage only when asked', async () => {
    const { post, seen } = gateway();
    const first = await post(chat({ stream: true, stream_options: { include_usage: true } }));
    expect(first.cache).toBe('miss');
    expect(first.text).toBe(SSE.join(''));
    const replay = await post(chat({ stream: true }));
    expect(replay.cache).toBe('hit-l1');
    expect(replay.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = replay.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    expect(events.slice(0, -1).map((e) => JSON.parse(e.slice(6)) as unknown).some((c) => typeof c === 'object' && c !== null && 'usage' in c)).toBe(false);
    expect(replay.text).toContain('"content":"Hello"');
    const withUsage = await post(chat({ stream: true, stream_options: { include_usage: true } }));
    expect(withUsage.text).toContain('"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}');
    const whole = await post(chat());
    expect(whole.cache).toBe('hit-l1');
    expect(JSON.parse(whole.text)).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'Hello' }, finish_reason: 'stop' }], usage: { total_tokens: 5 } });
    expect(seen).toHaveLength(1);
  });

  it('replays hits the official openai client reads like any stream (text, finish reason, usage)', async () => {
    const { app, seen } = gateway();
    const client = new OpenAI({ apiKey: keys.any, baseURL: 'http://gateway.test/v1', fetch: async (url, init) => app.request(String(url), init), maxRetries: 0 });
    const body = { model: 'llama-3.1-8b', messages: [{ role: 'user' as const, content: 'Hi' }], temperature: 0 };
    const whole = await client.chat.completions.create(body);
    await new Promise((r) => setTimeout(r, 5));
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect([text, finish, usage]).toEqual([whole.choices[0]?.message.content, 'stop', whole.usage]);
    expect(seen).toHaveLength(1);
  });

  it('serves a non-streamed entry to a streamed request', async () => {
    const { post, seen } = gateway();
    await post(chat());
    const replay = await post(chat({ stream: true }));
    expect(replay.cache).toBe('hit-l1');
    expect(replay.text).toContain('"delta":{"content":"Hello!"}');
    expect(seen).toHaveLength(1);
  });

  it('does not answer a request that needs usage from a stream stored without it (and refreshes it)', async () => {
    const noUsage = SSE.filter((e) => !e.includes('"usage"'));
    const { post, seen } = gateway(json, () => upstreamResponse(200, noUsage, { 'content-type': 'text/event-stream' }));
    expect((await post(chat({ stream: true }))).cache).toBe('miss'); // no include_usage: stored without usage
    expect((await post(chat({ stream: true }))).cache).toBe('hit-l1');
    expect((await post(chat({ stream: true, stream_options: { include_usage: true } }))).cache).toBe('miss'); // needs usage
    expect((await post(chat())).cache).toBe('miss'); // needs usage too; the JSON answer has it and replaces the entry
    expect((await post(chat({ stream: true, stream_options: { include_usage: true } }))).cache).toBe('hit-l1');
    expect(seen).toHaveLength(3);
  });

  it('never caches a stream that was cut', async () => {
    const { post, seen } = gateway(json, () => upstreamResponse(200, SSE.slice(0, 2), { 'content-type': 'text/event-stream' }));
    expect((await post(chat({ stream: true }))).text).toMatch(/stream_truncated/);
    expect((await post(chat({ stream: true }))).cache).toBe('miss');
    expect(seen).toHaveLength(2);
  });

  it('caches text completions too', async () => {
    const TEXT = '{"id":"cmpl-1","object":"text_completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"text":" upon a time","finish_reason":"length"}],"usage":{"prompt_tokens":4,"completion_tokens":4,"total_tokens":8}}';
    const { post, seen } = gateway(() => upstreamResponse(200, TEXT));
    const body = { model: 'llama-3.1-8b', prompt: 'Once', max_tokens: 4, seed: 3 };
    await post(body, { path: '/v1/completions' });
    expect((await post(body, { path: '/v1/completions' })).text).toBe(TEXT);
    const streamed = await post({ ...body, stream: true }, { path: '/v1/completions' });
    expect(streamed.cache).toBe('hit-l1');
    expect(streamed.text).toContain('"object":"text_completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"text":" upon a time","logprobs":null,"finish_reason":"length"}]');
    expect((await post(chat({ seed: 3 }))).cache).toBe('miss'); // chat and text completions never share
    expect(seen).toHaveLength(2);
  });

  it('answers from the colo cache (L2) in a fresh isolate, and says bypass for every request when the policy is off', async () => {
    const g = gateway();
    await g.post(chat());
    // Another isolate in the same colo: a new app over the same colo cache.
    const colo = fakeColoCache(() => NOW);
    const seen: UpstreamRequest[] = [];
    const make = (fleet: CompiledFleet) =>
      createApp({ fleet, keys: apiKeys, transport: async (r) => (seen.push(r), upstreamResponse(200, CHAT_OK)), secret: (n) => SECRETS[n], now: () => NOW, cache: { colo } });
    const ask = async (app: ReturnType<typeof make>) => {
      const res = await app.request('/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${keys.any}`, 'content-type': 'application/json' }, body: JSON.stringify(chat()) });
      await res.text();
      await new Promise((r) => setTimeout(r, 5));
      return res.headers.get('x-switchyard-cache');
    };
    expect(await ask(make(FLEET))).toBe('miss');
    expect(await ask(make(FLEET))).toBe('hit-l2');
    const off = make({ ...FLEET, cache: { ...DEFAULT_EDGE_CACHE, enabled: false } });
    expect(await ask(off)).toBe('bypass');
    expect(await ask(off)).toBe('bypass');
    expect(seen).toHaveLength(3);
  });
});
