// The Worker inside workerd (the real Workers runtime), in front of real simulator servers.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { describe, expect, inject, it } from 'vitest';
import { createWorker, type Env } from '../../workers/gateway.ts';
import { dispatchRead, testEnv } from './dispatch.ts';

const fleet = inject('fleet');
const keys = inject('keys');
const simUrls = inject('simUrls');
const redis = inject('redis');

const worker = createWorker(fleet);
const baseEnv: Env = testEnv();

type Cf = { latitude?: string; longitude?: string; continent?: string; country?: string };

async function call(
  path: string,
  init: { body?: unknown; raw?: string; key?: string | null; cf?: Cf; headers?: Record<string, string>; method?: string } = {},
  env: Env = baseEnv,
): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...init.headers };
  const key = init.key === undefined ? keys.any : init.key;
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const request = new Request(`https://gateway.test${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
    ...(init.cf ? { cf: init.cf } : {}),
  });
  return dispatchRead(worker, request, env);
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Say something about switchyards.' }],
  max_tokens: 6,
  ...extra,
});

async function readSse(response: Response): Promise<{ events: string[]; done: boolean }> {
  const text = await response.text();
  const events = text.split('\n\n').filter((e) => e.trim().length > 0);
  return { events, done: events.at(-1)?.trim() === 'data: [DONE]' };
}

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string | null; type: string; message: string } }).error;

const CALLERS = {
  'North America': { cf: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' }, region: 'us-east' },
  Europe: { cf: { latitude: '48.86', longitude: '2.35', continent: 'EU', country: 'FR' }, region: 'eu-west' },
  Asia: { cf: { latitude: '35.68', longitude: '139.69', continent: 'AS', country: 'JP' }, region: 'apac' },
} as const;

describe('the Worker in workerd', () => {
  it('serves /healthz from the bundled fleet without a key', async () => {
    const response = await exports.default.fetch(new Request('https://gateway.test/healthz'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; regions: number; problems?: string[] };
    // The bundled production fleet names upstream secrets this test environment does not set.
    expect(body.status).toBe('degraded');
    expect(body.problems).toContain('region us-east: upstream credentials are not set');
    expect(body.regions).toBeGreaterThan(0);
  });

  it('answers a chat completion from the simulator with usage and routing headers', async () => {
    const response = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), cf: CALLERS['North America'].cf });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-model')).toBe('llama-3.1-8b');
    expect(response.headers.get('x-switchyard-region')).toBe('us-east');
    expect(response.headers.get('x-switchyard-tier')).toBe('small');
    expect(response.headers.get('x-switchyard-route')).toMatch(/region=us-east geo=/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const body = (await response.json()) as { object: string; choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);
  });

  it.each(Object.entries(CALLERS))('routes a caller in %s to the nearest region', async (_where, caller) => {
    const response = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), cf: caller.cf });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).toBe(caller.region);
  });

  it('uses the continent when request.cf has no coordinates', async () => {
    const response = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), cf: { continent: 'AS' } });
    expect(response.headers.get('x-switchyard-region')).toBe('apac');
  });

  it('forwards vLLM and unknown fields to the upstream byte for byte', async () => {
    const body = JSON.stringify(
      chat('llama-3.1-8b', {
        top_k: 7,
        min_p: 0.05,
        repetition_penalty: 1.1,
        guided_json: { type: 'object' },
        chat_template_kwargs: { enable_thinking: false },
        priority: 3,
        cache_salt: 'tenant-salt',
        // (kv_transfer_params only where the routing policy accepts them: test/unit/core/kv-transfer.test.ts)
        max_completion_tokens: 6,
        stream_options: null,
        some_future_field: { nested: [1, 2] },
      }),
    );
    const response = await call('/v1/chat/completions', { raw: body, cf: CALLERS.Asia.cf });
    expect(response.status).toBe(200);
    const recorded = (await (await fetch(`${simUrls['apac-8b']}/sim/requests`)).json()) as { body: string }[] | { requests: { body: string }[] };
    const list = Array.isArray(recorded) ? recorded : recorded.requests;
    expect(list.map((r) => (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)))).toContain(body);
  });

  it('relays a stream chunk by chunk and ends with [DONE]', async () => {
    const response = await call('/v1/chat/completions', {
      body: chat('llama-3.1-8b', { stream: true, stream_options: { include_usage: true } }),
      cf: CALLERS.Europe.cf,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { events, done } = await readSse(response);
    expect(done).toBe(true);
    const usage = events.map((e) => e.replace(/^data: /, '')).filter((e) => e.includes('"usage"') && e.includes('"choices":[]'));
    expect(usage).toHaveLength(1);
  });

  it('ends a stream the upstream cuts with an SSE error event, not a silent end', async () => {
    const response = await call('/v1/chat/completions', { body: chat('cut-model', { stream: true, max_tokens: 20 }) });
    expect(response.status).toBe(200);
    const { events, done } = await readSse(response);
    expect(done).toBe(false);
    const last = events.at(-1) ?? '';
    expect(last).toMatch(/^event: error\ndata: /);
    expect(JSON.parse(last.split('data: ')[1] ?? '{}').error.code).toBe('stream_truncated');
  });

  it('reaches KServe Hugging Face runtimes under /openai/v1', async () => {
    const response = await call('/v1/completions', { body: { model: 'qwen-hf', prompt: 'Once upon a time', max_tokens: 4 } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe('text_completion');
  });

  it('fails over to the next region before the first byte when an endpoint answers 503', async () => {
    const response = await call('/v1/chat/completions', { body: chat('failover-model'), cf: CALLERS['North America'].cf });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).toBe('eu-west');
  });

  it('answers 502 in OpenAI shape when every endpoint fails (502 and connection refused)', async () => {
    const response = await call('/v1/chat/completions', { body: chat('broken-model') });
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error.type).toBe('server_error');
    expect(error.code).toBeTruthy();
  });

  it('answers 504 when the upstream never sends headers', async () => {
    const response = await call('/v1/chat/completions', { body: chat('slow-model') });
    expect(response.status).toBe(504);
    expect((await errorOf(response)).code).toMatch(/timeout/);
  });

  it('passes 429 through when the only endpoint is saturated', async () => {
    const response = await call('/v1/chat/completions', { body: chat('busy-model') });
    expect(response.status).toBe(429);
    expect((await errorOf(response)).type).toBe('rate_limit_error');
  });

  it('never serves an EU-scoped key outside the EU, even when the EU endpoint is down', async () => {
    const before = ((await (await fetch(`${simUrls['us-east-residency']}/sim/requests`)).json()) as unknown[]).length;
    const response = await call('/v1/chat/completions', { body: chat('residency-model'), key: keys.eu, cf: CALLERS['North America'].cf });
    expect(response.status).toBe(503);
    const after = ((await (await fetch(`${simUrls['us-east-residency']}/sim/requests`)).json()) as unknown[]).length;
    expect(after).toBe(before);
    const ok = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), key: keys.eu, cf: CALLERS.Asia.cf });
    expect(ok.headers.get('x-switchyard-region')).toBe('eu-west');
  });

  it.each([
    ['no Authorization header', null],
    ['an unknown key', 'sy-0000000000000000000000000000000000000000'],
    ['a malformed key', 'not-a-key'],
    ['a revoked key', keys.revoked],
  ])('rejects %s with 401 invalid_api_key', async (_what, key) => {
    const response = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), key });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe('invalid_api_key');
  });

  it.each([
    ['bad JSON', { raw: '{"model": "llama-3.1-8b", ' }, 400, 'invalid_json'],
    ['a wrong type', { body: chat('llama-3.1-8b', { temperature: 'hot' }) }, 400, 'invalid_request'],
    ['a missing field', { body: { model: 'llama-3.1-8b' } }, 400, 'invalid_request'],
    ['an unknown model', { body: chat('gpt-17') }, 404, 'model_not_found'],
    ['an oversized body', { raw: JSON.stringify(chat('llama-3.1-8b', { pad: 'x'.repeat(70_000) })) }, 413, 'request_too_large'],
  ])('answers %s with a clear OpenAI-shaped error', async (_what, init, status, code) => {
    const response = await call('/v1/chat/completions', init);
    expect(response.status).toBe(status);
    expect((await errorOf(response)).code).toBe(code);
  });

  it('lists only the models a residency-scoped key can reach', async () => {
    const all = (await (await call('/v1/models')).json()) as { data: { id: string }[] };
    const eu = (await (await call('/v1/models', { key: keys.eu })).json()) as { data: { id: string; regions: string[] }[] };
    expect(all.data.map((m) => m.id)).toContain('cut-model');
    expect(eu.data.map((m) => m.id)).not.toContain('cut-model');
    expect(eu.data.every((m) => m.regions.every((r) => r === 'eu-west'))).toBe(true);
  });

  it('verifies keys stored in Redis through the Upstash REST bridge', async () => {
    const env: Env = { ...baseEnv, SWITCHYARD_KEYS: undefined, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token };
    const ok = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), key: redis.key }, env);
    expect(ok.status).toBe(200);
    const memoryOnlyKey = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), key: keys.any }, env);
    expect(memoryOnlyKey.status).toBe(401);
  });

  it('sends each region its own upstream credential (a missing secret is rejected upstream → 502)', async () => {
    const env: Env = { ...baseEnv, UPSTREAM_KEY_APAC: 'wrong' };
    const response = await call('/v1/chat/completions', { body: chat('llama-3.1-8b'), cf: CALLERS.Asia.cf, headers: {} }, env);
    // apac rejects the wrong key; the request fails over to a region whose key is right.
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).not.toBe('apac');
  });
});

describe('tiers in the Worker', () => {
  it('routes model "auto" by the reference rules: a budget under 100 ms goes to the edge (small) tier', async () => {
    const response = await call('/v1/chat/completions', { body: chat('auto', { messages: [{ role: 'user', content: 'hi' }] }), headers: { 'x-max-latency-ms': '50' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-tier')).toBe('small');
    expect(response.headers.get('x-switchyard-model')).toBe('llama-3.1-8b');
    expect(response.headers.get('x-switchyard-route')).toMatch(/^latency=50<100ms->edge /);
  });

  it('sends a simple "auto" request to the regional tier, moving up when that tier has no model', async () => {
    const response = await call('/v1/chat/completions', { body: chat('auto', { messages: [{ role: 'user', content: 'hi' }] }) });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-tier')).toBe('large');
    expect(response.headers.get('x-switchyard-route')).toMatch(/^simple\(score=[\d.]+<[\d.]+\)&quality<0\.8->regional medium-unserved->large /);
  });

  it('sends "auto" to the central (large) tier for a quality need of 0.8 or more', async () => {
    const response = await call('/v1/chat/completions', { body: chat('auto'), headers: { 'x-min-quality': '0.9' } });
    expect(response.headers.get('x-switchyard-tier')).toBe('large');
    expect(response.headers.get('x-switchyard-route')).toMatch(/^quality=0\.9>=0\.8->central /);
  });

  it('moves a tier that has no model up to the next tier that has one', async () => {
    const response = await call('/v1/chat/completions', { body: chat('medium') });
    expect(response.headers.get('x-switchyard-tier')).toBe('large');
    expect(response.headers.get('x-switchyard-route')).toMatch(/medium-unserved->large/);
  });

  it('rejects a malformed hint header with 400', async () => {
    const response = await call('/v1/chat/completions', { body: chat('auto'), headers: { 'x-min-quality': '2' } });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('invalid_header');
  });
});

describe('failover in the Worker', () => {
  const requestsTo = async (sim: string) => ((await (await fetch(`${simUrls[sim]}/sim/requests`)).json()) as unknown[]).length;

  it('fails a stream over before its first byte, then relays it to the end', async () => {
    const response = await call('/v1/chat/completions', { body: chat('failover-model', { stream: true }), cf: CALLERS['North America'].cf });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).toBe('eu-west');
    expect((await readSse(response)).done).toBe(true);
  });

  it('spills over to the next region when a pool answers 429, and stays away until Retry-After', async () => {
    const first = await call('/v1/chat/completions', { body: chat('spill-model'), cf: CALLERS['North America'].cf });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(first.headers.get('x-switchyard-route')).toMatch(/attempts=2$/);
    const fullBefore = await requestsTo('us-east-full');
    const second = await call('/v1/chat/completions', { body: chat('spill-model'), cf: CALLERS['North America'].cf });
    expect(second.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(second.headers.get('x-switchyard-route')).not.toMatch(/attempts=/);
    expect(await requestsTo('us-east-full')).toBe(fullBefore);
  });
});

describe('the health prober in the Worker', () => {
  it('runs from the cron trigger, stores its snapshot in Redis, and routing avoids what it saw down', async () => {
    await fetch(`${simUrls['us-east-probe']}/sim/faults`, { method: 'POST', body: JSON.stringify({ unhealthy: true }) });
    try {
      // One env object = one isolate runtime: the cron run and the requests share its store.
      const env: Env = { ...baseEnv, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token };
      const ctx = createExecutionContext();
      await worker.scheduled({ cron: '* * * * *', scheduledTime: Date.now(), noRetry: () => {} }, env, ctx);
      await waitOnExecutionContext(ctx);

      const stored = (await (
        await fetch(redis.url, { method: 'POST', headers: { authorization: `Bearer ${redis.token}` }, body: JSON.stringify(['GET', 'switchyard:health']) })
      ).json()) as { result: string };
      const snapshot = JSON.parse(stored.result) as { endpoints: Record<string, { healthy: boolean; running?: number }> };
      expect(snapshot.endpoints['us-east/probe-model/us-east-probe']?.healthy).toBe(false);
      expect(snapshot.endpoints['eu-west/probe-model/eu-west-probe']?.healthy).toBe(true);
      expect(snapshot.endpoints['eu-west/probe-model/eu-west-probe']?.running).toBe(0);

      // The first request starts the isolate's background read of the snapshot; then it is used.
      await call('/v1/models', { key: redis.key }, env);
      const models = (await (await call('/v1/models', { key: redis.key }, env)).json()) as { data: { id: string; regions: string[]; available_regions: string[] }[] };
      const probe = models.data.find((m) => m.id === 'probe-model');
      expect(probe?.regions.sort()).toEqual(['eu-west', 'us-east']);
      expect(probe?.available_regions).toEqual(['eu-west']);

      const response = await call('/v1/chat/completions', { body: chat('probe-model'), key: redis.key, cf: CALLERS['North America'].cf }, env);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-region')).toBe('eu-west');
      expect(response.headers.get('x-switchyard-route')).not.toMatch(/attempts=/);
    } finally {
      await fetch(`${simUrls['us-east-probe']}/sim/faults`, { method: 'DELETE' });
    }
  });
});
