// Requests of one shape added up and written as metric fields and a usage row: counters,
// histograms (one field per bucket that saw observations, plus _sum and _count), tokens, cost,
// failovers and errors; and the tally key, which must change whenever a label would.
import { describe, expect, it } from 'vitest';
import { errors, GatewayError } from '../../../../src/api/errors.ts';
import { parseField } from '../../../../src/observe/metrics/fields.ts';
import { RequestTally, shapeOf, tallyKey } from '../../../../src/observe/metrics/request-tally.ts';
import type { RequestRecord } from '../../../../src/observe/request-record.ts';
import { requestRecord, servedRecord } from '../fixtures.ts';

type Finished = [record: RequestRecord, endedAt: number];

/** The fields a tally of these requests (all of one shape: the first's) writes. */
function tallied(operation: string, status: number, error: unknown, ...requests: Finished[]) {
  const [first] = requests;
  if (!first) throw new Error('at least one request');
  const tally = new RequestTally(shapeOf(first[0], operation, status, error));
  for (const [record, endedAt] of requests) tally.add(record, endedAt);
  const metric = new Map<string, number>();
  const usage = new Map<string, number>();
  tally.emit(
    (f, n) => metric.set(f, (metric.get(f) ?? 0) + n),
    (f, n) => usage.set(f, (usage.get(f) ?? 0) + n),
  );
  return { metric, usage };
}

/** The fields of one metric family, by their labels as text (parsed back). */
const family = (metric: ReadonlyMap<string, number>, name: string) =>
  [...metric].filter(([f]) => parseField(f).name === name).map(([f, n]) => ({ labels: parseField(f).labels, n }));

describe('RequestTally.emit', () => {
  it('writes a served chat request: its request, duration, tokens, token usage, cost and usage row', () => {
    const { metric, usage } = tallied('chat', 200, undefined, [servedRecord(), 300]);
    expect(metric.get('switchyard_requests_total{gen_ai_operation_name="chat",gen_ai_request_model="llama",tier="small",region="eu",tenant="acme",status="200",cache="none"}')).toBe(1);
    const base = 'gen_ai_operation_name="chat",gen_ai_request_model="llama",region="eu"';
    expect(metric.get(`gen_ai_client_operation_duration_seconds_bucket{${base},le="0.32"}`)).toBe(1);
    expect(metric.get(`gen_ai_client_operation_duration_seconds_sum{${base}}`)).toBeCloseTo(0.3, 12);
    expect(metric.get(`gen_ai_client_operation_duration_seconds_count{${base}}`)).toBe(1);
    expect(metric.get(`gen_ai_client_token_usage_bucket{gen_ai_token_type="input",${base},le="256"}`)).toBe(1);
    expect(metric.get(`gen_ai_client_token_usage_bucket{gen_ai_token_type="output",${base},le="64"}`)).toBe(1);
    expect(family(metric, 'switchyard_tokens_total')).toEqual([
      { labels: { gen_ai_token_type: 'input', gen_ai_request_model: 'llama', region: 'eu', tenant: 'acme' }, n: 100 },
      { labels: { gen_ai_token_type: 'output', gen_ai_request_model: 'llama', region: 'eu', tenant: 'acme' }, n: 20 },
      { labels: { gen_ai_token_type: 'cached_input', gen_ai_request_model: 'llama', region: 'eu', tenant: 'acme' }, n: 64 },
    ]);
    expect(metric.get('switchyard_cost_usd_total{gen_ai_request_model="llama",region="eu",tenant="acme",basis="tokens"}')).toBe(0.002);
    expect(usage).toEqual(new Map([['acme|key-a|llama|eu|requests', 1], ['acme|key-a|llama|eu|input', 100], ['acme|key-a|llama|eu|output', 20], ['acme|key-a|llama|eu|cached', 64], ['acme|key-a|llama|eu|cost', 0.002]]));
    // Not a stream, no failover, no error, no cache, no GPU price, no bytes counted.
    for (const absent of ['gen_ai_server_time_to_first_token_seconds_count', 'switchyard_streams_total', 'switchyard_failovers_total', 'switchyard_errors_total', 'switchyard_cache_requests_total', 'switchyard_gpu_cost_usd_total', 'switchyard_response_bytes_total']) {
      expect(family(metric, absent)).toEqual([]);
    }
  });

  it('adds many requests of a shape: counts, sums, and one (non-cumulative) count per bucket', () => {
    const { metric, usage } = tallied('chat', 200, undefined, [servedRecord(), 300], [servedRecord(), 310], [servedRecord(), 5000], [servedRecord({ bytesOut: 10 }), 200_000], [servedRecord({ bytesOut: 5 }), 1]);
    const base = 'gen_ai_operation_name="chat",gen_ai_request_model="llama",region="eu"';
    expect(metric.get('switchyard_requests_total{gen_ai_operation_name="chat",gen_ai_request_model="llama",tier="small",region="eu",tenant="acme",status="200",cache="none"}')).toBe(5);
    const buckets = family(metric, 'gen_ai_client_operation_duration_seconds_bucket').map(({ labels, n }) => [labels['le'], n] as const);
    // 0.3 s and 0.31 s in (0.16, 0.32], 5 s in (2.56, 5.12], 0.001 s in the first; 200 s above the last bound: in no bucket.
    expect(new Map(buckets)).toEqual(new Map([['0.32', 2], ['5.12', 1], ['0.01', 1]]));
    expect(metric.get(`gen_ai_client_operation_duration_seconds_count{${base}}`)).toBe(5);
    expect(metric.get(`gen_ai_client_operation_duration_seconds_sum{${base}}`)).toBeCloseTo(0.3 + 0.31 + 5 + 200 + 0.001, 9);
    expect(metric.get('switchyard_tokens_total{gen_ai_token_type="output",gen_ai_request_model="llama",region="eu",tenant="acme"}')).toBe(100);
    expect(metric.get('switchyard_response_bytes_total{region="eu"}')).toBe(15);
    expect(usage.get('acme|key-a|llama|eu|requests')).toBe(5);
    expect(usage.get('acme|key-a|llama|eu|cost')).toBeCloseTo(0.01, 12);
  });

  it('counts a value equal to a bound in that bound’s bucket (le is inclusive)', () => {
    const { metric } = tallied('chat', 200, undefined, [servedRecord(), 320]);
    expect(family(metric, 'gen_ai_client_operation_duration_seconds_bucket').map(({ labels }) => labels['le'])).toEqual(['0.32']);
  });

  it('times a stream’s first chunk and its time per output token after the first', () => {
    const { metric } = tallied('chat', 200, undefined, [servedRecord({ stream: true, firstBytesAt: 50, streamOutcome: 'completed', usage: { input: 10, output: 21, cached: 0 } }), 1050]);
    const base = 'gen_ai_operation_name="chat",gen_ai_request_model="llama",region="eu"';
    expect(metric.get(`gen_ai_server_time_to_first_token_seconds_sum{${base}}`)).toBeCloseTo(0.05, 12);
    expect(metric.get(`gen_ai_server_time_to_first_token_seconds_bucket{${base},le="0.06"}`)).toBe(1);
    // 1 s after the first chunk for 20 more tokens.
    expect(metric.get(`gen_ai_server_time_per_output_token_seconds_sum{${base}}`)).toBeCloseTo(0.05, 12);
    expect(metric.get('switchyard_streams_total{outcome="completed"}')).toBe(1);
  });

  it('counts the streams mid-stream failover continued, or could not, by outcome', () => {
    const continued = tallied('chat', 200, undefined, [servedRecord({ stream: true, streamOutcome: 'completed', continuation: 'continued', continuations: 1 }), 10], [servedRecord({ stream: true, streamOutcome: 'completed', continuation: 'continued', continuations: 2 }), 10]).metric;
    expect(continued.get('switchyard_stream_continuations_total{outcome="continued"}')).toBe(2);
    expect(continued.get('switchyard_streams_total{outcome="completed"}')).toBe(2);
    const ineligible = tallied('chat', 200, undefined, [servedRecord({ stream: true, streamOutcome: 'stream_truncated', continuation: 'ineligible' }), 10]).metric;
    expect(ineligible.get('switchyard_stream_continuations_total{outcome="ineligible"}')).toBe(1);
    // A stream that was never cut is not counted there.
    const whole = tallied('chat', 200, undefined, [servedRecord({ stream: true, streamOutcome: 'completed' }), 10]).metric;
    expect([...whole.keys()].some((name) => name.startsWith('switchyard_stream_continuations_total'))).toBe(false);
  });

  it('has no time per output token for a stream of one token or of unknown usage', () => {
    for (const usage of [{ input: 3, output: 1, cached: 0 }, undefined]) {
      const { metric } = tallied('chat', 200, undefined, [servedRecord({ firstBytesAt: 50, usage }), 1050]);
      expect(family(metric, 'gen_ai_server_time_per_output_token_seconds_count')).toEqual([]);
      expect(family(metric, 'gen_ai_server_time_to_first_token_seconds_count')).toHaveLength(1);
    }
  });

  it('writes no output-token histogram for an operation that generates nothing (embeddings), but its input tokens', () => {
    const { metric } = tallied('embeddings', 200, undefined, [servedRecord({ usage: { input: 8, output: 0, cached: 0 } }), 10]);
    const types = family(metric, 'gen_ai_client_token_usage_count').map(({ labels }) => labels['gen_ai_token_type']);
    expect(types).toEqual(['input']);
    expect(family(metric, 'switchyard_tokens_total').map(({ labels }) => labels['gen_ai_token_type'])).toEqual(['input']);
  });

  it('writes an error by OpenAI type and code, labels its duration with the status, and counts it in the usage row', () => {
    const error = errors.noRoute('every region is down');
    const { metric, usage } = tallied('chat', 503, error, [servedRecord({ usage: undefined, cost: undefined, attempts: [] }), 40]);
    expect(metric.get('switchyard_errors_total{error_type="service_unavailable_error",code="no_available_endpoint",region="eu"}')).toBe(1);
    expect(family(metric, 'gen_ai_client_operation_duration_seconds_count')[0]?.labels['error_type']).toBe('503');
    expect(usage.get('acme|key-a|llama|eu|errors')).toBe(1);
    expect(usage.get('acme|key-a|llama|eu|requests')).toBe(1);
    expect(family(metric, 'switchyard_cost_usd_total')).toEqual([]);
  });

  it('writes an unexpected exception as an internal error of the server', () => {
    const { metric } = tallied('chat', 500, new TypeError('boom'), [servedRecord({ region: undefined }), 40]);
    expect(metric.get('switchyard_errors_total{error_type="server_error",code="internal_error",region="none"}')).toBe(1);
  });

  it('counts a failover that recovered and one that failed; skipped endpoints are not attempts', () => {
    const recovered = servedRecord({ attempts: [{ endpoint: 'a', outcome: 503, ms: 1 }, { endpoint: 'b', outcome: 200, ms: 2 }] });
    expect(tallied('chat', 200, undefined, [recovered, 10]).metric.get('switchyard_failovers_total{gen_ai_request_model="llama",result="recovered"}')).toBe(1);
    const failed = servedRecord({ attempts: [{ endpoint: 'a', outcome: 'connect', ms: 1 }, { endpoint: 'b', outcome: 502, ms: 2 }] });
    expect(tallied('chat', 502, errors.noRoute('x'), [failed, 10]).metric.get('switchyard_failovers_total{gen_ai_request_model="llama",result="failed"}')).toBe(1);
    const skipped = servedRecord({ attempts: [{ endpoint: 'a', outcome: 'circuit-open', ms: 0 }, { endpoint: 'b', outcome: 'no-credentials', ms: 0 }, { endpoint: 'c', outcome: 200, ms: 2 }] });
    expect(family(tallied('chat', 200, undefined, [skipped, 10]).metric, 'switchyard_failovers_total')).toEqual([]);
  });

  it('writes a cache hit by tier, its cost at 0 on the cache basis, and no cost in the usage row', () => {
    const { metric, usage } = tallied('chat', 200, undefined, [servedRecord({ cache: 'hit-l2', cost: { usd: 0, basis: 'cache' } }), 3]);
    expect(metric.get('switchyard_cache_requests_total{result="hit-l2",gen_ai_request_model="llama"}')).toBe(1);
    expect(metric.get('switchyard_cost_usd_total{gen_ai_request_model="llama",region="eu",tenant="acme",basis="cache"}')).toBe(0);
    expect(usage.has('acme|key-a|llama|eu|cost')).toBe(false);
    expect(usage.get('acme|key-a|llama|eu|input')).toBe(100);
  });

  it('writes the GPU-time share where the region prices GPU-hours', () => {
    const { metric } = tallied('chat', 200, undefined, [servedRecord({ cost: { usd: 0.003, basis: 'gpu-time', gpuUsd: 0.003 } }), 3], [servedRecord({ cost: { usd: 0.001, basis: 'gpu-time', gpuUsd: 0.001 } }), 3]);
    expect(metric.get('switchyard_gpu_cost_usd_total{gen_ai_request_model="llama",region="eu",tenant="acme"}')).toBeCloseTo(0.004, 12);
  });

  it('labels what is unknown "none", and writes it as "-" in the usage row', () => {
    const { metric, usage } = tallied('models', 200, undefined, [requestRecord({}, '/v1/models'), 3]);
    expect([...metric.keys()][0]).toBe('switchyard_requests_total{gen_ai_operation_name="models",gen_ai_request_model="none",tier="none",region="none",tenant="none",status="200",cache="none"}');
    expect(usage).toEqual(new Map([['-|-|-|-|requests', 1]]));
  });

  it('keeps the usage row’s separator out of its parts', () => {
    const { usage } = tallied('chat', 200, undefined, [servedRecord({ tenant: 'a|b', keyId: 'k|1', usage: undefined, cost: undefined }), 3]);
    expect([...usage.keys()]).toEqual(['a_b|k_1|llama|eu|requests']);
  });

  it('uses only valid Prometheus label names, and escapes awkward values', () => {
    const awkward = servedRecord({ tenant: 'acme "prod"\n\\', model: 'org/llama', cache: 'hit-l1', stream: true, firstBytesAt: 1, streamOutcome: 'completed', cost: { usd: 1, basis: 'gpu-time', gpuUsd: 1 }, bytesOut: 1 });
    const { metric } = tallied('chat', 200, undefined, [awkward, 10]);
    for (const field of metric.keys()) {
      const { labels } = parseField(field);
      for (const name of Object.keys(labels)) expect(name).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
      if ('tenant' in labels) expect(labels['tenant']).toBe('acme "prod"\n\\');
    }
  });
});

describe('tallyKey', () => {
  const error = (code: string, type?: string) => new GatewayError(404, 'x', type === undefined ? { code } : { code, type });
  // Requests that differ in one thing each a label depends on.
  const variants: [RequestRecord, string, number, unknown][] = [
    [servedRecord(), 'chat', 200, undefined],
    [servedRecord(), 'text_completion', 200, undefined],
    [servedRecord({ model: 'qwen' }), 'chat', 200, undefined],
    [servedRecord({ tier: 'large' }), 'chat', 200, undefined],
    [servedRecord({ region: 'us' }), 'chat', 200, undefined],
    [servedRecord({ tenant: 'globex' }), 'chat', 200, undefined],
    [servedRecord({ keyId: 'key-b' }), 'chat', 200, undefined],
    [servedRecord({ cache: 'miss' }), 'chat', 200, undefined],
    [servedRecord({ streamOutcome: 'completed' }), 'chat', 200, undefined],
    [servedRecord({ streamOutcome: 'stream_truncated' }), 'chat', 200, undefined],
    [servedRecord({ streamOutcome: 'completed', continuation: 'continued' }), 'chat', 200, undefined],
    [servedRecord({ streamOutcome: 'stream_truncated', continuation: 'failed' }), 'chat', 200, undefined],
    [servedRecord({ cost: { usd: 1, basis: 'gpu-time' } }), 'chat', 200, undefined],
    [servedRecord({ cost: undefined }), 'chat', 200, undefined],
    [servedRecord(), 'chat', 404, error('model_not_found')],
    [servedRecord(), 'chat', 404, error('not_found', 'not_found_error')],
    [servedRecord(), 'chat', 404, error('not_found')],
    [servedRecord(), 'chat', 500, new Error('boom')],
    // Same labels as the first: what a label does not depend on (usage, timings) stays out of the key.
    [servedRecord({ usage: { input: 1, output: 1, cached: 0 }, firstBytesAt: 3, bytesOut: 9 }), 'chat', 200, undefined],
  ];

  it('is the same exactly when the labels (the shape) are the same', () => {
    for (const [a, ...x] of variants) {
      for (const [b, ...y] of variants) {
        const [shapeA, shapeB] = [JSON.stringify(shapeOf(a, ...x)), JSON.stringify(shapeOf(b, ...y))];
        expect(tallyKey(a, ...x) === tallyKey(b, ...y), `${shapeA} vs ${shapeB}`).toBe(shapeA === shapeB);
      }
    }
  });
});
