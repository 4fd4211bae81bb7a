import { afterEach, describe, expect, it } from 'vitest';
import { errorBody } from '../../../infra/local/sim/error-shapes.ts';
import { drawsError, parseFaultPatch } from '../../../infra/local/sim/faults.ts';
import { PROFILES, type SimProfile } from '../../../infra/local/sim/latency-model.ts';
import { type SimServer, startSim } from '../../../infra/local/sim/server.ts';
import { metricValue, post, readSse } from './sim-client.ts';

const chat = { messages: [{ role: 'user', content: 'hello' }], max_tokens: 4, ignore_eos: true };
let sims: SimServer[] = [];
async function sim(options: Parameters<typeof startSim>[0]): Promise<SimServer> {
  const s = await startSim(options);
  sims.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 3000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('error shapes', () => {
  it('renders current vLLM, legacy vLLM and KServe bodies', () => {
    const e = { status: 503, message: 'down' };
    expect(JSON.parse(errorBody('vllm', e))).toEqual({ error: { message: 'down', type: 'ServiceUnavailableError', param: null, code: 503 } });
    expect(JSON.parse(errorBody('vllm-legacy', e))).toEqual({
      object: 'error', message: 'down', type: 'ServiceUnavailableError', param: null, code: 503,
    });
    expect(JSON.parse(errorBody('kserve', e))).toEqual({ error: { message: 'down', type: 'ServiceUnavailableError', param: '', code: '503' } });
  });
});

describe('fault patches', () => {
  it('accepts known fields and refuses wrong values and unknown names', () => {
    expect(parseFaultPatch({ errorRate: 0.5, cutAfterChunks: null, hang: true })).toEqual({
      ok: true,
      patch: { errorRate: 0.5, cutAfterChunks: null, hang: true },
    });
    expect(parseFaultPatch({ errorRate: 1.5 })).toEqual({ ok: false, error: 'errorRate must be a number in 0..1' });
    expect(parseFaultPatch({ errorStatus: 200 }).ok).toBe(false);
    expect(parseFaultPatch({ errorShape: 'openai' }).ok).toBe(false);
    expect(parseFaultPatch({ cutAfterChunks: -1 }).ok).toBe(false);
    expect(parseFaultPatch({ errorrate: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/unknown fault "errorrate"/) });
    expect(parseFaultPatch([]).ok).toBe(false);
    expect(parseFaultPatch({ redirectTo: 'http://elsewhere.example/v1' })).toEqual({ ok: true, patch: { redirectTo: 'http://elsewhere.example/v1' } });
    expect(parseFaultPatch({ redirectTo: 'not a url' }).ok).toBe(false);
  });
});

describe('sim faults over HTTP', () => {
  it('fails the requests the seeded sequence picks, the same ones again after a reset, with the chosen status and shape', async () => {
    const s = await sim({ profile: 'zero', seed: 9, faults: { errorRate: 0.5, errorStatus: 503, errorShape: 'kserve' } });
    const run = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) statuses.push((await post(`${s.url}/v1/chat/completions`, chat)).status);
      return statuses;
    };
    const first = await run();
    expect(first).toEqual(Array.from({ length: 16 }, (_, i) => (drawsError(9, i, 0.5) ? 503 : 200)));
    expect(first).toContain(503);
    expect(first).toContain(200);
    // Changing faults restarts the sequence.
    s.setFaults({ errorRate: 0.5 });
    expect(await run()).toEqual(first);

    s.setFaults({ errorRate: 1 });
    const failed = await post(`${s.url}/v1/completions`, { prompt: 'x' });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({
      error: { message: 'Simulated failure: injected HTTP 503.', type: 'ServiceUnavailableError', param: '', code: '503' },
    });
    // /health, /metrics and /v1/models never fail.
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/v1/models`)).status).toBe(200);
  });

  it('is changed at runtime through POST /sim/faults and cleared with DELETE', async () => {
    const s = await sim({ profile: 'zero' });
    const set = await post(`${s.url}/sim/faults`, { errorRate: 1, errorStatus: 429, errorShape: 'vllm-legacy' });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ errorRate: 1, errorStatus: 429, errorShape: 'vllm-legacy', hang: false });
    const failed = await post(`${s.url}/v1/chat/completions`, chat);
    expect(failed.status).toBe(429);
    expect(await failed.json()).toEqual({
      object: 'error', message: 'Simulated failure: injected HTTP 429.', type: 'TooManyRequestsError', param: null, code: 429,
    });
    expect(await (await fetch(`${s.url}/sim/faults`)).json()).toMatchObject({ errorRate: 1, errorStatus: 429 });

    const bad = await post(`${s.url}/sim/faults`, { errorRate: 'lots' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/errorRate/);
    expect((await post(`${s.url}/sim/faults`, '{oops')).status).toBe(400);

    const cleared = await fetch(`${s.url}/sim/faults`, { method: 'DELETE' });
    expect(await cleared.json()).toMatchObject({ errorRate: 0, hang: false, unhealthy: false, cutAfterChunks: null });
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(200);
  });

  it('answers /health 503 while unhealthy', async () => {
    const s = await sim({ profile: 'zero', faults: { unhealthy: true } });
    expect((await fetch(`${s.url}/health`)).status).toBe(503);
    await post(`${s.url}/sim/faults`, { unhealthy: false });
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('adds latency before the headers', async () => {
    const s = await sim({ profile: 'zero', faults: { addedLatencyMs: 150 } });
    const start = performance.now();
    const res = await post(`${s.url}/v1/chat/completions`, chat);
    const elapsed = performance.now() - start;
    expect(res.status).toBe(200);
    expect(elapsed).toBeGreaterThanOrEqual(140);
  });

  it('cuts a stream after N chunks: the chunks arrive, then the connection ends without [DONE]', async () => {
    const s = await sim({ profile: 'fast', faults: { cutAfterChunks: 3 } });
    const res = await post(`${s.url}/v1/chat/completions`, { ...chat, max_tokens: 10, stream: true });
    expect(res.status).toBe(200);
    const { events, error } = await readSse(res);
    expect(events).toHaveLength(3);
    expect(events).not.toContain('[DONE]');
    expect(error).toBeInstanceOf(Error);
    // Non-streaming requests are not cut.
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(200);
    const metrics = await poll(
      async () => (await fetch(`${s.url}/metrics`)).text(),
      (m) => metricValue(m, 'vllm:num_requests_running') === 0,
    );
    expect(metricValue(metrics, 'vllm:request_success_total', 'finished_reason="abort"')).toBe(1);
    expect(metricValue(metrics, 'vllm:kv_cache_usage_perc')).toBe(0);
  });

  it('cuts right before [DONE] when N equals the chunks of the stream', async () => {
    const s = await sim({ profile: 'zero', faults: { cutAfterChunks: 5 } });
    const res = await post(`${s.url}/v1/chat/completions`, { ...chat, stream: true });
    const { events, error } = await readSse(res);
    expect(events).toHaveLength(5); // role + 4 tokens
    expect(error).toBeInstanceOf(Error);
  });

  it('fails a request nested past nestingLimit with a 500 and a traceback, and serves every other request', async () => {
    const s = await sim({ profile: 'zero', faults: { nestingLimit: 16 } });
    const nested = (depth: number): unknown => {
      let v: unknown = { type: 'string' };
      for (let i = 0; i < depth; i++) v = { type: 'object', properties: { x: v } };
      return v;
    };
    const tools = (depth: number) => [{ type: 'function', function: { name: 'f', parameters: nested(depth) } }];
    const deep = await post(`${s.url}/v1/chat/completions`, { ...chat, tools: tools(10) });
    expect(deep.status).toBe(500);
    const { error } = (await deep.json()) as { error: { message: string; type: string } };
    expect(error.type).toBe('InternalServerError');
    expect(error.message).toMatch(/^Traceback \(most recent call last\):[\s\S]*RecursionError/);
    expect((await post(`${s.url}/v1/chat/completions`, { ...chat, tools: tools(2) })).status).toBe(200);
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(200);
    expect(parseFaultPatch({ nestingLimit: 0 }).ok).toBe(false);
  });

  it('hangs: the request is recorded and never answered, and the server stays usable', async () => {
    const s = await sim({ profile: 'zero', faults: { hang: true } });
    await expect(post(`${s.url}/v1/chat/completions`, chat, {}, AbortSignal.timeout(200))).rejects.toThrow();
    expect(s.requests()).toHaveLength(1);
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    s.setFaults({ hang: false });
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(200);
  });
});

describe('sim load: batching limits', () => {
  const slow: SimProfile = { ...PROFILES.fast, name: 'one-at-a-time', maxNumSeqs: 1, maxWaitingQueueLength: 0, interTokenLatencyMs: 20 };

  it('answers 429 when max_num_seqs run and the waiting queue is full; the running request holds KV', async () => {
    const s = await sim({ profile: slow });
    const abort = new AbortController();
    const running = await post(`${s.url}/v1/chat/completions`, { ...chat, max_tokens: 200, stream: true }, {}, abort.signal);
    expect(running.status).toBe(200);

    const refused = await post(`${s.url}/v1/chat/completions`, chat);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { type: string; code: number } };
    expect(body.error).toMatchObject({ type: 'TooManyRequestsError', code: 429 });

    const busy = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(busy, 'vllm:num_requests_running')).toBe(1);
    expect(metricValue(busy, 'vllm:kv_cache_usage_perc')).toBeGreaterThan(0);

    abort.abort();
    const idle = await poll(
      async () => (await fetch(`${s.url}/metrics`)).text(),
      (m) => metricValue(m, 'vllm:num_requests_running') === 0,
    );
    expect(metricValue(idle, 'vllm:num_requests_running')).toBe(0);
    expect(metricValue(idle, 'vllm:request_success_total', 'finished_reason="abort"')).toBe(1);
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(200);
  });

  it('queues beyond max_num_seqs and serves the waiting request when the slot frees', async () => {
    const s = await sim({ profile: { ...slow, maxWaitingQueueLength: 1, interTokenLatencyMs: 5 } });
    const first = post(`${s.url}/v1/chat/completions`, { ...chat, max_tokens: 100 });
    const waiting = await poll(
      async () => (await fetch(`${s.url}/metrics`)).text(),
      (m) => metricValue(m, 'vllm:num_requests_running') === 1,
    );
    expect(metricValue(waiting, 'vllm:num_requests_running')).toBe(1);
    const second = post(`${s.url}/v1/chat/completions`, chat);
    const queued = await poll(
      async () => (await fetch(`${s.url}/metrics`)).text(),
      (m) => metricValue(m, 'vllm:num_requests_waiting') === 1,
    );
    expect(metricValue(queued, 'vllm:num_requests_waiting')).toBe(1);
    expect((await post(`${s.url}/v1/chat/completions`, chat)).status).toBe(429);
    expect([(await first).status, (await second).status]).toEqual([200, 200]);
  });
});
