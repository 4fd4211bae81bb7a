// Metrics, the dashboard's numbers and /v1/usage inside workerd, over one real Redis
// (redis-server behind the Upstash REST bridge): what two Worker isolates served is summed in
// the answer of either; token counters match what the simulators themselves counted; the
// exposition is read by a real Prometheus text parser. Everything checked here is labelled
// with `metrics-model` (only this file sends it) or with tenants made for this run, so other
// files sharing the Redis cannot move these numbers.
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import type { DashboardStats } from '../../src/observe/stats.ts';
import type { UsagePage } from '../../src/observe/usage-report.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';
import { createWorker, type Env } from '../../workers/gateway.ts';
import { dispatch, dispatchRead, testEnv } from './dispatch.ts';
import { expectWellFormed, Scrape, type Labels } from '../support/prometheus-scrape.ts';

const fleet = inject('fleet');
const redis = inject('redis');
const simUrls = inject('simUrls');
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const MODEL = 'metrics-model';
/** The test fleet's token prices per million (input; output is three times that), and cached input at the input price. */
const PRICE = { 'us-east': 0.05, 'eu-west': 0.06 } as const;
type Region = keyof typeof PRICE;
const SIM: Record<Region, string> = { 'us-east': 'us-east-metrics', 'eu-west': 'eu-west-metrics' };
const CALLER: Record<Region, { latitude: string; longitude: string; continent: string; country: string }> = {
  'us-east': { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
  'eu-west': { latitude: '48.86', longitude: '2.35', continent: 'EU', country: 'FR' },
};

/** The Worker over Redis; each (worker, env) pair is one isolate with its own metric deltas, L1 cache and key memo. */
const isolate = (extra: Partial<Env> = {}) => ({
  worker: createWorker(fleet),
  env: testEnv({ SWITCHYARD_KEYS: undefined, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token, ...extra }),
});
type Isolate = ReturnType<typeof isolate>;
const one = isolate();
const two = isolate();

const apiKeys = () => new ApiKeys(UpstashStore.connect({ url: redis.url, token: redis.token }), { memoTtlMs: 0 });
let adminKey = '';
beforeAll(async () => {
  adminKey = (await apiKeys().create({ tenant: `ops-${run}`, role: 'admin' })).key;
});
async function clientKey(tenant: string): Promise<{ key: string; id: string }> {
  const created = await apiKeys().create({ tenant });
  return { key: created.key, id: created.record.id };
}

function get(at: Isolate, path: string, key?: string): Promise<Response> {
  return dispatchRead(at.worker, new Request(`https://gateway.test${path}`, { headers: key === undefined ? {} : { authorization: `Bearer ${key}` } }), at.env);
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  prompt_tokens_details?: { cached_tokens: number } | null;
}
interface Answer {
  status: number;
  region: string | null;
  tier: string | null;
  cache: string | null;
  text: string;
}

async function chat(at: Isolate, key: string, body: Record<string, unknown>, region: Region): Promise<Answer> {
  const request = new Request('https://gateway.test/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    cf: CALLER[region],
  });
  const response = await dispatchRead(at.worker, request, at.env);
  const h = (name: string) => response.headers.get(name);
  return { status: response.status, region: h('x-switchyard-region'), tier: h('x-switchyard-tier'), cache: h('x-switchyard-cache'), text: await response.text() };
}

let asked = 0;
/** A chat request no one else sends (temperature 0.7: not cacheable). */
const ask = (extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  messages: [{ role: 'user', content: `Metrics ${run}-${++asked}: describe a signal box in a few words.` }],
  max_tokens: 8,
  temperature: 0.7,
  ...extra,
});

/** The `data:` payloads of an SSE answer, and whether it ended with [DONE]. */
function events(sse: string): { chunks: { usage?: Usage | null; choices: unknown[] }[]; done: boolean } {
  const data = sse
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: '))
    .map((e) => e.slice(6));
  return { chunks: data.filter((d) => d !== '[DONE]').map((d) => JSON.parse(d) as { usage?: Usage | null; choices: unknown[] }), done: data.at(-1) === '[DONE]' };
}
const usageOf = (answer: Answer): Usage => {
  const usage = answer.text.startsWith('{') ? (JSON.parse(answer.text) as { usage: Usage }).usage : events(answer.text).chunks.find((c) => c.usage)?.usage;
  if (!usage) throw new Error(`no usage in ${answer.text.slice(0, 200)}`);
  return usage;
};

async function scrape(at: Isolate): Promise<Scrape> {
  const response = await get(at, '/metrics', adminKey);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await response.text());
}

/** What a simulator itself counted: prompt tokens prefilled, tokens generated, and the requests it received. */
interface Upstream {
  prompt: number;
  generation: number;
  received: number;
}
async function upstream(region: Region): Promise<Upstream> {
  const url = simUrls[SIM[region]];
  const metrics = new Scrape(await (await fetch(`${url}/metrics`)).text());
  const received = ((await (await fetch(`${url}/sim/requests`)).json()) as { seq: number }[]).at(-1)?.seq ?? 0;
  return { prompt: metrics.sum('vllm:prompt_tokens_total'), generation: metrics.sum('vllm:generation_tokens_total'), received };
}
async function upstreamBoth(): Promise<Record<Region, Upstream>> {
  const [us, eu] = await Promise.all([upstream('us-east'), upstream('eu-west')]);
  return { 'us-east': us, 'eu-west': eu };
}

const DURATION = 'gen_ai_client_operation_duration_seconds';
const TTFT = 'gen_ai_server_time_to_first_token_seconds';
const TOKEN_USAGE = 'gen_ai_client_token_usage';
const series = (region: Region) => ({ gen_ai_operation_name: 'chat', gen_ai_request_model: MODEL, region });
const cost = (region: Region, input: number, output: number) => (input * PRICE[region] + output * PRICE[region] * 3) / 1e6;

describe('metrics over Redis from two isolates', () => {
  // One tenant with two keys sent to us-east, another tenant sent to eu-west; each isolate
  // serves part of it, streams with and without include_usage among them.
  const tenantA = `metrics-a-${run}`;
  const tenantB = `metrics-b-${run}`;
  const keys = { a1: { key: '', id: '' }, a2: { key: '', id: '' }, b: { key: '', id: '' } };
  const seen = { b: { input: 0, output: 0, cached: 0 }, a2: { input: 0, output: 0 } };
  let before: Scrape;
  let after: [Scrape, Scrape];
  let statsBefore: DashboardStats;
  let sims: { before: Record<Region, Upstream>; after: Record<Region, Upstream> };
  let unaskedStream: Answer;
  let askedStream: Answer;

  beforeAll(async () => {
    [keys.a1, keys.a2, keys.b] = await Promise.all([clientKey(tenantA), clientKey(tenantA), clientKey(tenantB)]);
    before = await scrape(one);
    statsBefore = (await (await get(two, '/admin/stats?minutes=60', adminKey)).json()) as DashboardStats;
    const simsBefore = await upstreamBoth();

    const answers: Answer[] = [];
    answers.push(await chat(one, keys.a1.key, ask(), 'us-east'));
    const toB = await chat(one, keys.b.key, ask(), 'eu-west');
    unaskedStream = await chat(one, keys.a1.key, ask({ stream: true }), 'us-east');
    const fromA2 = await chat(two, keys.a2.key, ask(), 'us-east');
    askedStream = await chat(two, keys.b.key, ask({ stream: true, stream_options: { include_usage: true } }), 'eu-west');
    answers.push(toB, unaskedStream, fromA2, askedStream);
    for (const a of answers) expect(a, a.text).toMatchObject({ status: 200, tier: 'large', cache: 'bypass' });
    expect(answers.map((a) => a.region)).toEqual(['us-east', 'eu-west', 'us-east', 'us-east', 'eu-west']);
    const invalid = await chat(two, keys.a1.key, { model: MODEL, messages: 'not a list' }, 'us-east');
    expect(invalid.status).toBe(400);

    for (const u of [usageOf(toB), usageOf(askedStream)]) {
      seen.b.input += u.prompt_tokens;
      seen.b.output += u.completion_tokens;
      seen.b.cached += u.prompt_tokens_details?.cached_tokens ?? 0;
    }
    const a2 = usageOf(fromA2);
    seen.a2 = { input: a2.prompt_tokens, output: a2.completion_tokens };
    sims = { before: simsBefore, after: await upstreamBoth() };
    after = [await scrape(one), await scrape(two)];
  });

  /** What the simulators counted in this scenario, per region: tenant A's traffic went to us-east, tenant B's to eu-west. */
  const upstreamDelta = (region: Region) => ({
    input: sims.after[region].prompt - sims.before[region].prompt,
    output: sims.after[region].generation - sims.before[region].generation,
    requests: sims.after[region].received - sims.before[region].received,
  });

  it('sums the requests both isolates served in /metrics answered by either, by status, model, region, tier and tenant', () => {
    expect(upstreamDelta('us-east').requests).toBe(3);
    expect(upstreamDelta('eu-west').requests).toBe(2);
    for (const scraped of after) {
      expect(scraped.types.get('switchyard_requests_total')).toBe('COUNTER');
      const requests = (labels: Labels) => scraped.sum('switchyard_requests_total', labels) - before.sum('switchyard_requests_total', labels);
      const ok = { gen_ai_operation_name: 'chat', gen_ai_request_model: MODEL, tier: 'large', status: '200', cache: 'bypass' };
      expect(requests({ ...ok, region: 'us-east', tenant: tenantA })).toBe(3); // two from isolate one, one from isolate two
      expect(requests({ ...ok, region: 'eu-west', tenant: tenantB })).toBe(2); // one from each
      expect(requests({ tenant: tenantA, status: '400' })).toBe(1);
      expect(requests({ tenant: tenantA })).toBe(4);
      expect(requests({ tenant: tenantB })).toBe(2);
    }
    // Both isolates answer with the same totals: nothing is left unwritten in either.
    // (Counters and histograms: the endpoint gauges are each isolate's view of the moment.)
    const mine = (s: Scrape) => s.samples.filter((x) => !x.name.startsWith('switchyard_endpoint_') && (x.labels['tenant']?.endsWith(run) || x.labels['gen_ai_request_model'] === MODEL));
    expect(mine(after[1])).toEqual(mine(after[0]));
  });

  it("counts tokens and cost as the simulators' own usage numbers, streams without include_usage included", () => {
    const us = upstreamDelta('us-east');
    const eu = upstreamDelta('eu-west');
    expect(us.input).toBeGreaterThan(0);
    // eu-west's traffic was all visible to its clients (one JSON answer, one stream with include_usage).
    expect(eu).toMatchObject({ input: seen.b.input, output: seen.b.output });
    for (const scraped of after) {
      expect(scraped.types.get('switchyard_tokens_total')).toBe('COUNTER');
      const tokens = (type: string, region: Region, tenant: string) => {
        const labels = { gen_ai_token_type: type, gen_ai_request_model: MODEL, region, tenant };
        return scraped.sum('switchyard_tokens_total', labels) - before.sum('switchyard_tokens_total', labels);
      };
      expect(tokens('input', 'us-east', tenantA)).toBe(us.input);
      expect(tokens('output', 'us-east', tenantA)).toBe(us.output);
      expect(tokens('input', 'eu-west', tenantB)).toBe(eu.input);
      expect(tokens('output', 'eu-west', tenantB)).toBe(eu.output);
      expect(tokens('cached_input', 'eu-west', tenantB)).toBe(seen.b.cached);
      const costOf = (region: Region, tenant: string) => scraped.sum('switchyard_cost_usd_total', { gen_ai_request_model: MODEL, region, tenant, basis: 'tokens' });
      expect(costOf('us-east', tenantA)).toBeCloseTo(cost('us-east', us.input, us.output), 12);
      expect(costOf('eu-west', tenantB)).toBeCloseTo(cost('eu-west', eu.input, eu.output), 12);
    }
  });

  it('meters a stream without include_usage, and its client never sees the usage chunk the gateway asked for', async () => {
    const unasked = events(unaskedStream.text);
    expect(unasked.done).toBe(true);
    expect(unasked.chunks.length).toBeGreaterThan(1);
    for (const chunk of unasked.chunks) {
      expect(chunk.usage ?? null).toBeNull();
      expect(chunk.choices.length).toBeGreaterThan(0);
    }
    const sent = ((await (await fetch(`${simUrls[SIM['us-east']]}/sim/requests`)).json()) as { body: { stream?: boolean; stream_options?: { include_usage?: boolean } } }[]).filter((r) => r.body.stream === true);
    expect(sent.at(-1)?.body.stream_options?.include_usage).toBe(true);
    const asked = events(askedStream.text);
    expect(asked.done).toBe(true);
    expect(asked.chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it('keeps latency, TTFT and token histograms consistent: each _count is the requests served, sums match the counters', () => {
    const byRegion = { 'us-east': { requests: 3, streams: 1 }, 'eu-west': { requests: 2, streams: 1 } } as const;
    for (const scraped of after) {
      for (const name of [DURATION, TTFT, TOKEN_USAGE]) expect(scraped.types.get(name)).toBe('HISTOGRAM');
      for (const region of ['us-east', 'eu-west'] as const) {
        const delta = (name: string, labels: Labels) => {
          const now = scraped.histogram(name, labels);
          const then = before.histogram(name, labels);
          return { ...now, count: now.count - then.count, sum: now.sum - then.sum };
        };
        const duration = delta(DURATION, series(region));
        expectWellFormed(scraped.histogram(DURATION, series(region)));
        expect(duration.count).toBe(byRegion[region].requests);
        expect(duration.count).toBe(scraped.sum('switchyard_requests_total', { ...series(region), status: '200' }) - before.sum('switchyard_requests_total', { ...series(region), status: '200' }));
        const ttft = delta(TTFT, series(region));
        expectWellFormed(scraped.histogram(TTFT, series(region)));
        expect(ttft.count).toBe(byRegion[region].streams); // first chunks are timed for streams only
        const input = delta(TOKEN_USAGE, { gen_ai_token_type: 'input', ...series(region) });
        expect(input.count).toBe(byRegion[region].requests);
        expect(input.sum).toBe(upstreamDelta(region).input);
        const output = delta(TOKEN_USAGE, { gen_ai_token_type: 'output', ...series(region) });
        expect(output.sum).toBe(upstreamDelta(region).output);
      }
    }
  });

  it('serves /metrics to admin keys only: 401 without a key or with a wrong one, 403 for a client key', async () => {
    for (const [key, status, code] of [
      [undefined, 401, 'invalid_api_key'],
      ['sk-not-a-key', 401, 'invalid_api_key'],
      [keys.a1.key, 403, 'admin_key_required'],
    ] as const) {
      for (const at of [one, two]) {
        const response = await get(at, '/metrics', key);
        expect(response.status).toBe(status);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe(code);
        expect(body.error.message.length).toBeGreaterThan(0);
      }
    }
    for (const at of [one, two]) expect((await get(at, '/admin/stats', keys.a1.key)).status).toBe(403);
  });

  it("shows both isolates' traffic in the dashboard's data, answered by either", async () => {
    const us = upstreamDelta('us-east');
    const eu = upstreamDelta('eu-west');
    const rows: DashboardStats[] = [];
    for (const at of [one, two]) {
      const response = await get(at, '/admin/stats?minutes=60', adminKey);
      expect(response.status).toBe(200);
      rows.push((await response.json()) as DashboardStats);
    }
    for (const stats of rows) {
      const tenant = (name: string) => stats.byTenant.find((t) => t.name === name);
      expect(tenant(tenantA)).toMatchObject({ requests: 4, errors: 1, errorRate: 0.25, inputTokens: us.input, outputTokens: us.output });
      expect(tenant(tenantA)?.costUsd).toBeCloseTo(cost('us-east', us.input, us.output), 12);
      expect(tenant(tenantB)).toMatchObject({ requests: 2, errors: 0, inputTokens: eu.input, outputTokens: eu.output });
      expect(tenant(tenantB)?.costPerRequestUsd).toBeCloseTo(cost('eu-west', eu.input, eu.output) / 2, 12);
      const model = (s: DashboardStats) => s.byModel.find((m) => m.name === MODEL)?.requests ?? 0;
      expect(model(stats) - model(statsBefore)).toBe(5);
      expect(stats.endpoints.map((e) => e.id)).toEqual(expect.arrayContaining(['us-east/metrics-model/us-east-metrics', 'eu-west/metrics-model/eu-west-metrics']));
    }
    expect(rows[1]?.byTenant.filter((t) => t.name.endsWith(run))).toEqual(rows[0]?.byTenant.filter((t) => t.name.endsWith(run)));
  });

  it("answers /v1/usage with every key and tenant to an admin key, and only the caller's own key to a client key", async () => {
    const us = upstreamDelta('us-east');
    const eu = upstreamDelta('eu-west');
    const usage = async (at: Isolate, key: string, query: string) => {
      const response = await get(at, `/v1/usage?bucket_width=1h&${query}`, key);
      expect(response.status, await response.clone().text()).toBe(200);
      return (await response.json()) as UsagePage;
    };
    const rowsOf = (page: UsagePage) => page.data.flatMap((b) => b.results);
    const sumFor = (page: UsagePage, match: (r: UsagePage['data'][number]['results'][number]) => boolean) =>
      rowsOf(page)
        .filter(match)
        .reduce((n, r) => ({ requests: n.requests + r.requests, errors: n.errors + r.errors, input: n.input + r.input_tokens, output: n.output + r.output_tokens, cost: n.cost + r.cost_usd }), { requests: 0, errors: 0, input: 0, output: 0, cost: 0 });

    const a1 = { requests: 3, errors: 1, input: us.input - seen.a2.input, output: us.output - seen.a2.output };
    for (const at of [one, two]) {
      const all = await usage(at, adminKey, 'group_by=tenant,key_id');
      expect(sumFor(all, (r) => r.key_id === keys.a1.id)).toMatchObject({ ...a1, cost: expect.closeTo(cost('us-east', a1.input, a1.output), 12) });
      expect(sumFor(all, (r) => r.key_id === keys.a2.id)).toMatchObject({ requests: 1, errors: 0, input: seen.a2.input, output: seen.a2.output });
      expect(sumFor(all, (r) => r.tenant === tenantB)).toMatchObject({ requests: 2, input: eu.input, output: eu.output, cost: expect.closeTo(cost('eu-west', eu.input, eu.output), 12) });
      expect(rowsOf(all).filter((r) => r.key_id === keys.b.id).every((r) => r.tenant === tenantB)).toBe(true);

      const byRegion = await usage(at, adminKey, `group_by=key_id,region&tenant=${tenantA}`);
      expect(new Set(rowsOf(byRegion).map((r) => r.key_id))).toEqual(new Set([keys.a1.id, keys.a2.id]));
      expect(sumFor(byRegion, (r) => r.region === 'us-east').requests).toBe(3);
      expect(sumFor(byRegion, (r) => r.region === null)).toMatchObject({ requests: 1, errors: 1 }); // the 400 never reached a region

      const own = await usage(at, keys.a1.key, 'group_by=tenant,key_id,model');
      expect(new Set(rowsOf(own).map((r) => r.key_id))).toEqual(new Set([keys.a1.id]));
      expect(own.totals).toMatchObject({ requests: a1.requests, errors: a1.errors, input_tokens: a1.input, output_tokens: a1.output });
      const other = await usage(at, keys.a2.key, 'group_by=key_id');
      expect(other.totals).toMatchObject({ requests: 1, input_tokens: seen.a2.input });

      for (const query of [`tenant=${tenantB}`, `key_id=${keys.a2.id}`]) {
        const refused = await get(at, `/v1/usage?${query}`, keys.a1.key);
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('permission_denied');
      }
    }
  });
});

describe('metering cache hits and the batching window in workerd', () => {
  it('meters a cache hit as served, with its tokens, at zero upstream cost', async () => {
    const tenant = `metrics-cache-${run}`;
    const { key, id } = await clientKey(tenant);
    const body = { ...ask(), temperature: 0 };
    const before = await scrape(one);
    const simBefore = await upstream('us-east');

    const miss = await chat(one, key, body, 'us-east');
    expect(miss).toMatchObject({ status: 200, cache: 'miss', region: 'us-east' });
    const simAfter = await upstream('us-east');
    expect((await chat(one, key, body, 'us-east')).cache).toBe('hit-l1');
    const fromColo = await chat(two, key, body, 'us-east'); // another isolate: the colo's Cache API
    expect(fromColo.cache).toBe('hit-l2');
    expect(fromColo.text).toBe(miss.text);
    expect((await upstream('us-east')).received).toBe(simAfter.received); // nothing upstream for the hits

    const u = usageOf(miss);
    expect(simAfter.prompt - simBefore.prompt).toBe(u.prompt_tokens);
    for (const scraped of [await scrape(one), await scrape(two)]) {
      const delta = (name: string, labels: Labels) => scraped.sum(name, labels) - before.sum(name, labels);
      for (const result of ['miss', 'hit-l1', 'hit-l2']) {
        expect(delta('switchyard_requests_total', { tenant, cache: result, status: '200', gen_ai_request_model: MODEL, region: 'us-east' })).toBe(1);
        expect(delta('switchyard_cache_requests_total', { result, gen_ai_request_model: MODEL })).toBe(1);
      }
      // Served tokens count for every answer; the cost is the miss's alone.
      expect(delta('switchyard_tokens_total', { tenant, gen_ai_token_type: 'input' })).toBe(3 * u.prompt_tokens);
      expect(delta('switchyard_tokens_total', { tenant, gen_ai_token_type: 'output' })).toBe(3 * u.completion_tokens);
      expect(scraped.samples.some((s) => s.name === 'switchyard_cost_usd_total' && s.labels['tenant'] === tenant && s.labels['basis'] === 'cache')).toBe(true);
      expect(scraped.sum('switchyard_cost_usd_total', { tenant, basis: 'cache' })).toBe(0);
      expect(scraped.sum('switchyard_cost_usd_total', { tenant })).toBeCloseTo(cost('us-east', u.prompt_tokens, u.completion_tokens), 12);
      expect(delta(`${DURATION}_count`, series('us-east'))).toBe(3);
    }
    const own = (await (await get(two, '/v1/usage?bucket_width=1h&group_by=key_id', key)).json()) as UsagePage;
    expect(own.totals).toMatchObject({ requests: 3, input_tokens: 3 * u.prompt_tokens, cost_usd: expect.closeTo(cost('us-east', u.prompt_tokens, u.completion_tokens), 12) });
    expect(own.data.flatMap((b) => b.results).every((r) => r.key_id === id)).toBe(true);
  });

  it('with a batching window, holds a request in its isolate until its deferred write lands, then every isolate sees it once', async () => {
    const WINDOW_MS = 2000;
    const batching = isolate({ SWITCHYARD_METRICS_FLUSH_MS: String(WINDOW_MS) });
    const tenant = `metrics-batch-${run}`;
    const { key } = await clientKey(tenant);
    const requests = async (at: Isolate) => (await scrape(at)).sum('switchyard_requests_total', { tenant, status: '200' });

    const startedAt = Date.now();
    const { response, settled } = await dispatch(
      batching.worker,
      new Request('https://gateway.test/v1/chat/completions', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(ask()), cf: CALLER['us-east'] }),
      batching.env,
    );
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(await requests(batching)).toBe(1); // its own answer adds what it has not written yet
    const elsewhere = await requests(two);
    // The write waits out the window (a timer started after the request began): until then no other isolate can see it.
    if (Date.now() - startedAt < WINDOW_MS) expect(elsewhere).toBe(0);

    await settled(); // waitUntil: the window, then one pipelined write
    expect(await requests(two)).toBe(1);
    expect(await requests(one)).toBe(1);
    expect(await requests(batching)).toBe(1); // written, and no longer added on top
  });
});
