import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILES } from '../../../infra/local/sim/latency-model.ts';
import { type SimServer, startSim } from '../../../infra/local/sim/server.ts';
import { metricValue, post, readSse } from './sim-client.ts';

interface ChatResponse {
  id: string;
  object: string;
  model: string;
  created: number;
  choices: Array<{ index: number; message: { role: string; content: string }; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; prompt_tokens_details: { cached_tokens: number } };
}

const LONG_SYSTEM = 'You are a meticulous assistant for a federated inference platform. '.repeat(12);

describe('sim server over HTTP (fast profile, both path styles)', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSim({ profile: 'fast', seed: 42, models: ['llama-3.1-8b', 'llama-alias'] });
  });
  afterAll(() => sim.close());

  it('answers a chat completion in vLLM shape with usage and a deterministic text', async () => {
    const body = { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Say something.' }], max_tokens: 7, ignore_eos: true };
    const res = await post(`${sim.url}/v1/chat/completions`, body);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const json = (await res.json()) as ChatResponse;
    expect(json.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    expect(json.object).toBe('chat.completion');
    expect(json.model).toBe('llama-3.1-8b');
    expect(json.choices[0]?.message.role).toBe('assistant');
    expect(json.choices[0]?.finish_reason).toBe('length');
    expect(json.usage.completion_tokens).toBe(7);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + 7);
    expect(json.usage.prompt_tokens_details.cached_tokens).toBe(0);
    expect(json.choices[0]?.message.content.split(' ')).toHaveLength(7);

    const again = (await (await post(`${sim.url}/openai/v1/chat/completions`, body)).json()) as ChatResponse;
    expect(again.choices[0]?.message.content).toBe(json.choices[0]?.message.content);
    expect(again.id).not.toBe(json.id);
    const other = (await (await post(`${sim.url}/v1/chat/completions`, { ...body, messages: [{ role: 'user', content: 'Something else.' }] })).json()) as ChatResponse;
    expect(other.choices[0]?.message.content).not.toBe(json.choices[0]?.message.content);
  });

  it('serves every alias, defaults an absent model to the first, and lists models like vLLM', async () => {
    const res = await post(`${sim.url}/v1/completions`, { model: 'llama-alias', prompt: 'Once upon a time', max_tokens: 3 });
    const json = (await res.json()) as { object: string; model: string; choices: Array<{ text: string; finish_reason: string }>; usage: { completion_tokens: number } };
    expect(res.status).toBe(200);
    expect(json.object).toBe('text_completion');
    expect(json.model).toBe('llama-alias');
    expect(json.choices[0]?.text.length).toBeGreaterThan(0);
    const noModel = (await (await post(`${sim.url}/v1/completions`, { prompt: 'hi', max_tokens: 2 })).json()) as { model: string };
    expect(noModel.model).toBe('llama-3.1-8b');

    const models = (await (await fetch(`${sim.url}/v1/models`)).json()) as {
      object: string;
      data: Array<{ id: string; object: string; owned_by: string; root: string; max_model_len: number }>;
    };
    expect(models.object).toBe('list');
    expect(models.data.map((m) => m.id)).toEqual(['llama-3.1-8b', 'llama-alias']);
    expect(models.data[1]).toMatchObject({ object: 'model', owned_by: 'vllm', root: 'llama-3.1-8b', max_model_len: PROFILES.fast.maxModelLen });
  });

  it('streams chat as SSE: role first, content deltas, finish_reason last, usage chunk, [DONE]', async () => {
    const res = await post(`${sim.url}/v1/chat/completions`, {
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Stream please.' }] }],
      max_completion_tokens: 5,
      ignore_eos: true,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const { events, error } = await readSse(res);
    expect(error).toBeUndefined();
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as {
      object: string;
      choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
      usage?: { completion_tokens: number; prompt_tokens: number };
    });
    expect(chunks).toHaveLength(1 + 5 + 1);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.slice(1, 6).map((c) => c.choices[0]?.finish_reason)).toEqual([null, null, null, null, 'length']);
    expect(chunks[6]?.choices).toEqual([]);
    expect(chunks[6]?.usage?.completion_tokens).toBe(5);

    const whole = (await (await post(`${sim.url}/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'Stream please.' }],
      max_completion_tokens: 5,
      ignore_eos: true,
    })).json()) as ChatResponse;
    expect(chunks.slice(1, 6).map((c) => c.choices[0]?.delta.content).join('')).toBe(whole.choices[0]?.message.content);
  });

  it('streams completions without a usage chunk unless asked', async () => {
    const res = await post(`${sim.url}/openai/v1/completions`, { prompt: 'Count:', max_tokens: 4, ignore_eos: true, stream: true });
    const { events } = await readSse(res);
    expect(events).toHaveLength(5);
    expect(events[4]).toBe('[DONE]');
    const last = JSON.parse(events[3]!) as { object: string; choices: Array<{ text: string; finish_reason: string }>; usage?: unknown };
    expect(last.object).toBe('text_completion');
    expect(last.choices[0]?.finish_reason).toBe('length');
    expect(last.usage).toBeUndefined();
  });

  it('reports cached_tokens from the prefix cache on a repeated long prompt', async () => {
    const body = { messages: [{ role: 'system', content: LONG_SYSTEM }, { role: 'user', content: 'first' }], max_tokens: 2 };
    const first = (await (await post(`${sim.url}/v1/chat/completions`, body)).json()) as ChatResponse;
    const second = (await (await post(`${sim.url}/v1/chat/completions`, {
      ...body,
      messages: [{ role: 'system', content: LONG_SYSTEM }, { role: 'user', content: 'second, different' }],
    })).json()) as ChatResponse;
    expect(first.usage.prompt_tokens).toBeGreaterThan(200);
    const cached = second.usage.prompt_tokens_details.cached_tokens;
    expect(cached).toBeGreaterThan(180);
    expect(cached % 16).toBe(0);
    expect(cached).toBeLessThan(second.usage.prompt_tokens);
    const salted = (await (await post(`${sim.url}/v1/chat/completions`, { ...body, cache_salt: 'tenant-b' })).json()) as ChatResponse;
    expect(salted.usage.prompt_tokens_details.cached_tokens).toBe(0);
  });

  it('answers errors in vLLM shape: unknown model 404, bad JSON and bad fields 400', async () => {
    const unknown = await post(`${sim.url}/v1/chat/completions`, { model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { message: 'The model `gpt-4` does not exist.', type: 'NotFoundError', param: 'model', code: 404 },
    });
    const cases: Array<[string, unknown]> = [
      ['/v1/chat/completions', '{"messages": ['],
      ['/v1/chat/completions', { model: 'llama-3.1-8b' }],
      ['/v1/chat/completions', { messages: [] }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], max_tokens: 0 }],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], stream_options: { include_usage: true } }],
      ['/v1/completions', { model: 'llama-3.1-8b' }],
      ['/v1/completions', { prompt: 'x', max_tokens: PROFILES.fast.maxModelLen }],
    ];
    for (const [path, body] of cases) {
      const res = await post(`${sim.url}${path}`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const json = (await res.json()) as { error: { type: string; code: number; message: string } };
      expect(json.error.type).toBe('BadRequestError');
      expect(json.error.code).toBe(400);
      expect(json.error.message.length).toBeGreaterThan(0);
    }
  });

  it('accepts vLLM-only fields and records the body untouched at /sim/requests', async () => {
    const body = {
      model: 'llama-3.1-8b',
      messages: [{ role: 'user', content: 'extras' }],
      max_tokens: 2,
      top_k: 40,
      min_p: 0.05,
      repetition_penalty: 1.1,
      guided_json: { type: 'object', properties: { a: { type: 'integer' } } },
      chat_template_kwargs: { enable_thinking: false },
      priority: -3,
      cache_salt: 'salt-1',
      kv_transfer_params: { do_remote_prefill: true, remote_block_ids: [1, 2, 3] },
    };
    const res = await post(`${sim.url}/v1/chat/completions`, body, { 'x-request-id': 'req-123' });
    expect(res.status).toBe(200);
    const recorded = (await (await fetch(`${sim.url}/sim/requests`)).json()) as Array<{
      seq: number;
      method: string;
      path: string;
      headers: Record<string, string>;
      body: unknown;
    }>;
    const last = recorded.at(-1)!;
    expect(last.method).toBe('POST');
    expect(last.path).toBe('/v1/chat/completions');
    expect(last.headers['x-request-id']).toBe('req-123');
    expect(last.body).toEqual(body);
    expect(sim.requests().at(-1)?.body).toEqual(body);
    expect(recorded.map((r) => r.seq)).toEqual([...recorded.map((r) => r.seq)].sort((a, b) => a - b));
    expect((await fetch(`${sim.url}/sim/requests`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${sim.url}/sim/requests`)).json()).toEqual([]);
  });

  it('exposes vLLM metrics whose counters add up to the usage it answered', async () => {
    const res = await fetch(`${sim.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const metrics = await res.text();
    const label = 'model_name="llama-3.1-8b"';
    expect(metricValue(metrics, 'vllm:num_requests_running', label)).toBe(0);
    expect(metricValue(metrics, 'vllm:num_requests_waiting', label)).toBe(0);
    expect(metricValue(metrics, 'vllm:kv_cache_usage_perc', label)).toBe(0);
    expect(metricValue(metrics, 'vllm:cache_config_info', 'block_size="16",num_gpu_blocks="2048"')).toBe(1);
    expect(metricValue(metrics, 'vllm:prefix_cache_hits_total', label)).toBeGreaterThan(180);
    expect(metricValue(metrics, 'vllm:prefix_cache_queries_total', label)).toBeGreaterThan(metricValue(metrics, 'vllm:prefix_cache_hits_total', label));
    expect(metricValue(metrics, 'vllm:request_success_total', 'finished_reason="length"')).toBeGreaterThan(5);
    expect(metricValue(metrics, 'vllm:prompt_tokens_total', label)).toBe(metricValue(metrics, 'vllm:prefix_cache_queries_total', label));
    expect(metricValue(metrics, 'vllm:generation_tokens_total', label)).toBeGreaterThan(20);
    expect(metrics).toContain('# TYPE vllm:prefix_cache_hits_total counter');
  });

  it('answers /health 200 with an empty body and unknown routes like FastAPI', async () => {
    const health = await fetch(`${sim.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('');
    const missing = await fetch(`${sim.url}/v2/models`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ detail: 'Not Found' });
    expect((await fetch(`${sim.url}/v1/chat/completions`)).status).toBe(405);
  });
});

describe('sim server: path styles and API key', () => {
  it('serves only /v1 with pathStyle v1, only /openai/v1 with pathStyle openai', async () => {
    const v1 = await startSim({ profile: 'zero', pathStyle: 'v1' });
    const kserve = await startSim({ profile: 'zero', pathStyle: 'openai' });
    try {
      const chat = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
      expect((await post(`${v1.url}/v1/chat/completions`, chat)).status).toBe(200);
      expect((await post(`${v1.url}/openai/v1/chat/completions`, chat)).status).toBe(404);
      expect((await fetch(`${v1.url}/openai/v1/models`)).status).toBe(404);
      expect((await post(`${kserve.url}/openai/v1/chat/completions`, chat)).status).toBe(200);
      expect((await fetch(`${kserve.url}/openai/v1/models`)).status).toBe(200);
      const wrong = await post(`${kserve.url}/v1/chat/completions`, chat);
      expect(wrong.status).toBe(404);
      expect(await wrong.json()).toEqual({ detail: 'Not Found' });
    } finally {
      await Promise.all([v1.close(), kserve.close()]);
    }
  });

  it('requires the API key on OpenAI routes only, answering 401 like vLLM', async () => {
    const sim = await startSim({ profile: 'zero', apiKey: 'sk-sim' });
    try {
      const chat = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 };
      const none = await post(`${sim.url}/v1/chat/completions`, chat);
      expect(none.status).toBe(401);
      expect(await none.json()).toEqual({ error: 'Unauthorized' });
      expect((await post(`${sim.url}/v1/chat/completions`, chat, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await fetch(`${sim.url}/v1/models`)).status).toBe(401);
      expect((await post(`${sim.url}/v1/chat/completions`, chat, { authorization: 'Bearer sk-sim' })).status).toBe(200);
      expect((await fetch(`${sim.url}/v1/models`, { headers: { authorization: 'Bearer sk-sim' } })).status).toBe(200);
      expect((await fetch(`${sim.url}/health`)).status).toBe(200);
      expect((await fetch(`${sim.url}/metrics`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('refuses bad options at start', async () => {
    await expect(startSim({ models: [] })).rejects.toThrow(/models/);
    await expect(startSim({ profile: 'nope' as 'zero' })).rejects.toThrow(/unknown sim profile/);
    await expect(startSim({ faults: { errorRate: 2 } })).rejects.toThrow(/errorRate/);
  });
});
