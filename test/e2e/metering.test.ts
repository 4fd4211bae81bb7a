// Usage metering end to end: the official openai client through the gateway to real simulated
// vLLM servers. What the gateway meters (log line, /metrics, /v1/usage, `switchyard usage`) is
// checked against what the upstream itself counted (the simulator's vllm:*_tokens_total) and
// against what the client was sent: streams without include_usage still metered, and the
// client never sees the usage chunk it did not ask for.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { expectWellFormed, Scrape } from '../support/prometheus-scrape.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import type { RequestLog } from '../../src/observe/request-log.ts';
import type { UsagePage } from '../../src/observe/usage-report.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

const run = promisify(execFile);

let tokenPriced: SimServer;
let gpuPriced: SimServer;
let gateway: NodeGateway;
const logs: RequestLog[] = [];
let clientKey: string;
let otherKey: string;
let adminKey: string;
let client: OpenAI;

const IN_PRICE = 0.5; // USD per million input tokens
const OUT_PRICE = 1.5;
const CACHED_PRICE = 0.1;
const GPU_HOUR = 3.6; // USD: a millisecond of one GPU costs $0.000001

beforeAll(async () => {
  [tokenPriced, gpuPriced] = await Promise.all([
    startSim({ models: ['llama-3.1-8b'], profile: 'fast', seed: 7 }),
    startSim({ models: ['qwen2.5-32b'], profile: 'fast', seed: 9 }),
  ]);
  const fleet = compileFleet(
    parseFleet(
      [
        regionDoc('us-east', 38.9, -77.4, 'NA', `pricing: { inputPerMillionTokensUsd: ${IN_PRICE}, outputPerMillionTokensUsd: ${OUT_PRICE}, cachedInputPerMillionTokensUsd: ${CACHED_PRICE} }`, `endpoints: [{ model: llama-3.1-8b, url: "${tokenPriced.url}" }]`),
        regionDoc('eu-west', 53.3, -6.3, 'EU', `pricing: { gpuHourUsd: ${GPU_HOUR} }`, `endpoints: [{ model: qwen2.5-32b, url: "${gpuPriced.url}" }]`),
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: llama-3.1-8b, annotations: { switchyard.dev/regions: us-east } }\nspec: { predictor: { model: { modelFormat: { name: vLLM } } } }\n',
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: qwen2.5-32b, annotations: { switchyard.dev/regions: eu-west } }\nspec: { predictor: { model: { modelFormat: { name: vLLM }, resources: { limits: { nvidia.com/gpu: "2" } } } } }\n',
      ].join('---\n'),
      'metering.yaml',
    ),
  );
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const [a, b, admin] = await Promise.all([keys.create({ tenant: 'acme' }), keys.create({ tenant: 'globex' }), keys.create({ tenant: 'ops', role: 'admin' })]);
  clientKey = a.key;
  otherKey = b.key;
  adminKey = admin.key;
  // Metrics written after every request, so each check sees the request before it.
  gateway = await startNodeGateway({ fleet, keys: [a.record, b.record, admin.record], env: {}, probeIntervalMs: 0, log: (line) => logs.push(line), metrics: { flushMs: 0 } });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: clientKey, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([tokenPriced?.close(), gpuPriced?.close()]);
});

/** The simulator's own token counters: what the upstream really processed. */
async function upstreamTokens(sim: SimServer): Promise<{ prompt: number; generation: number }> {
  const text = await (await fetch(`${sim.url}/metrics`)).text();
  const value = (name: string) => Number(/^vllm:\S+ (\S+)$/m.exec(text.split('\n').find((l) => l.startsWith(`${name}{`)) ?? '')?.[1] ?? Number.NaN);
  return { prompt: value('vllm:prompt_tokens_total'), generation: value('vllm:generation_tokens_total') };
}

/** The log line of the request with this id, once the gateway wrote it (after the stream ended). */
async function lineFor(requestId: string | null | undefined): Promise<RequestLog> {
  for (let i = 0; i < 100; i++) {
    const line = logs.find((l) => l.requestId === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no log line for request ${requestId}`);
}

const admin = (path: string) => fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } });

describe('usage metering through switchyard', () => {
  it('meters a whole answer with the usage the upstream reported, priced per token', async () => {
    const before = await upstreamTokens(tokenPriced);
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Say something about routers.' }], max_tokens: 24, temperature: 0.7 })
      .withResponse();
    const after = await upstreamTokens(tokenPriced);
    const line = await lineFor(response.headers.get('x-request-id'));
    expect(data.usage?.prompt_tokens).toBe(after.prompt - before.prompt);
    expect(line.usage).toEqual({ input: data.usage?.prompt_tokens, output: data.usage?.completion_tokens, cached: data.usage?.prompt_tokens_details?.cached_tokens ?? 0 });
    expect(line).toMatchObject({ tenant: 'acme', model: 'llama-3.1-8b', region: 'us-east', costBasis: 'tokens' });
    const u = line.usage ?? { input: 0, output: 0, cached: 0 };
    expect(line.costUsd).toBeCloseTo(((u.input - u.cached) * IN_PRICE + u.cached * CACHED_PRICE + u.output * OUT_PRICE) / 1e6, 12);
  });

  it('meters a stream the client asked no usage for, and the client never sees the usage chunk', async () => {
    const before = await upstreamTokens(tokenPriced);
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Stream a short answer.' }], max_tokens: 16, stream: true })
      .withResponse();
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.usage ?? null).toBeNull();
      expect(chunk.choices.length).toBeGreaterThan(0);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks).toBeGreaterThan(1);
    expect(text.length).toBeGreaterThan(0);
    const after = await upstreamTokens(tokenPriced);
    const line = await lineFor(response.headers.get('x-request-id'));
    expect(line.usage).toMatchObject({ input: after.prompt - before.prompt, output: after.generation - before.generation });
    expect(line.streamOutcome).toBe('completed');
    expect(line.ttftMs).toBeGreaterThanOrEqual(0);
    expect(line.ttftMs).toBeLessThanOrEqual(line.ms);
    // The gateway asked upstream for the usage chunk on the client's behalf.
    const sent = tokenPriced.requests().at(-1)?.body as { stream_options?: { include_usage?: boolean } };
    expect(sent.stream_options?.include_usage).toBe(true);
  });

  it('passes the usage chunk through when the client asked for it, and meters the same numbers', async () => {
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Count to five.' }], max_tokens: 12, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    const line = await lineFor(response.headers.get('x-request-id'));
    expect(line.usage).toMatchObject({ input: usage?.prompt_tokens, output: usage?.completion_tokens });
  });

  it('prices a region without token prices by its share of GPU time', async () => {
    const { response } = await client.chat.completions.create({ model: 'qwen2.5-32b', messages: [{ role: 'user', content: 'Hello there.' }], max_tokens: 8 }).withResponse();
    const line = await lineFor(response.headers.get('x-request-id'));
    expect(line.costBasis).toBe('gpu-time');
    // 2 GPUs at $3.60 an hour is $0.000002 per millisecond, for at most the request's own time.
    expect(line.costUsd).toBeGreaterThan(0);
    expect(line.costUsd).toBeLessThanOrEqual(line.ms * 0.000002 + 1e-12);
  });

  it('meters a cache hit as served, at no upstream cost', async () => {
    const body = { model: 'llama-3.1-8b', messages: [{ role: 'user' as const, content: 'A deterministic question.' }], max_tokens: 10, temperature: 0 };
    const first = await client.chat.completions.create(body).withResponse();
    const second = await client.chat.completions.create(body).withResponse();
    expect(second.response.headers.get('x-switchyard-cache')).toMatch(/^hit-/);
    const line = await lineFor(second.response.headers.get('x-request-id'));
    expect(line).toMatchObject({ costUsd: 0, costBasis: 'cache' });
    expect(line.usage).toMatchObject({ input: first.data.usage?.prompt_tokens, output: first.data.usage?.completion_tokens });
  });

  it('serves Prometheus metrics to an admin key only, parsed by a real exposition parser', async () => {
    await client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    expect((await fetch(`${gateway.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${clientKey}` } })).status).toBe(403);
    const res = await admin('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => families.find((f) => f.name === name);
    const requests = family('switchyard_requests_total');
    expect(requests?.type).toBe('COUNTER');
    const served = logs.filter((l) => l.path === '/v1/chat/completions');
    const counted = (requests?.metrics ?? []).reduce((n, m) => n + Number('value' in m ? m.value : 0), 0);
    expect(counted).toBe(served.length);
    const notFound = (requests?.metrics ?? []).find((m) => m.labels?.['status'] === '404');
    expect(notFound).toBeDefined();
    expect(family('gen_ai_client_operation_duration_seconds')?.type).toBe('HISTOGRAM');
    // Every duration series is well formed, and their counts add up to the requests served.
    const scraped = new Scrape(text);
    const durationSeries = scraped.samples.filter((m) => m.name === 'gen_ai_client_operation_duration_seconds_count');
    expect(durationSeries.length).toBeGreaterThan(1);
    for (const m of durationSeries) expectWellFormed(scraped.histogram('gen_ai_client_operation_duration_seconds', m.labels));
    expect(scraped.sum('gen_ai_client_operation_duration_seconds_count')).toBe(served.length);
    const tokens = family('switchyard_tokens_total')?.metrics ?? [];
    const input = tokens.filter((m) => m.labels?.['gen_ai_token_type'] === 'input').reduce((n, m) => n + Number('value' in m ? m.value : 0), 0);
    expect(input).toBe(served.reduce((n, l) => n + (l.usage?.input ?? 0), 0));
    expect(family('gen_ai_server_time_to_first_token_seconds')?.type).toBe('HISTOGRAM');
    expect(family('switchyard_cost_usd_total')?.metrics.length).toBeGreaterThan(0);
    expect(family('switchyard_cache_requests_total')?.metrics.some((m) => m.labels?.['result']?.startsWith('hit-'))).toBe(true);
    expect(family('switchyard_endpoint_circuit_breaker_state')?.metrics.length).toBe(6);
  });

  it('answers /v1/usage with a client key’s own usage, and everyone’s to an admin key', async () => {
    await new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: otherKey, maxRetries: 0 }).chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'other tenant' }], max_tokens: 4 });
    const own = (await (await fetch(`${gateway.url}/v1/usage?bucket_width=1h&group_by=tenant,model`, { headers: { authorization: `Bearer ${clientKey}` } })).json()) as UsagePage;
    expect(new Set(own.data.flatMap((b) => b.results.map((r) => r.tenant)))).toEqual(new Set(['acme']));
    const acmeLines = logs.filter((l) => l.tenant === 'acme' && l.path.startsWith('/v1/chat'));
    expect(own.totals.requests).toBe(acmeLines.length);
    expect(own.totals.output_tokens).toBe(acmeLines.reduce((n, l) => n + (l.usage?.output ?? 0), 0));
    expect(own.totals.cost_usd).toBeCloseTo(acmeLines.reduce((n, l) => n + (l.costUsd ?? 0), 0), 12);

    const forbidden = await fetch(`${gateway.url}/v1/usage?tenant=globex`, { headers: { authorization: `Bearer ${clientKey}` } });
    expect(forbidden.status).toBe(403);
    const bad = await fetch(`${gateway.url}/v1/usage?group_by=colour`, { headers: { authorization: `Bearer ${clientKey}` } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/group_by/);

    const all = (await (await admin('/v1/usage?bucket_width=1h&group_by=tenant')).json()) as UsagePage;
    const tenants = new Set(all.data.flatMap((b) => b.results.map((r) => r.tenant)));
    expect(tenants.has('acme') && tenants.has('globex')).toBe(true);
  });

  it('prints the same usage in the terminal with `switchyard usage`', async () => {
    const { stdout } = await run(process.execPath, ['cli/main.ts', 'usage', '--gateway', gateway.url, '--since', '1h', '--by', 'tenant', '--bucket', '1h'], {
      env: { ...process.env, SWITCHYARD_ADMIN_KEY: adminKey },
    });
    const page = (await (await admin('/v1/usage?bucket_width=1h&group_by=tenant')).json()) as UsagePage;
    const acme = page.data.flatMap((b) => b.results).filter((r) => r.tenant === 'acme').reduce((n, r) => n + r.requests, 0);
    expect(stdout).toMatch(new RegExp(`^acme\\s+${acme}\\s`, 'm'));
    expect(stdout).toContain(`total: ${page.totals.requests} requests`);
  });
});
