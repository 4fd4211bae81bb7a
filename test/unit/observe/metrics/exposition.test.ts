// /metrics' body, rendered from stored totals and the gauges of the moment, then read by a real
// Prometheus text parser (parse-prometheus-text-format, as the e2e scrape does): one HELP and
// TYPE per family matching the catalog, label values with quotes, backslashes and line feeds
// read back exactly, histograms whose buckets are cumulative, end in +Inf = _count, with _sum.
import parsePrometheusTextFormat, { type PromSampleValue } from 'parse-prometheus-text-format';
import { describe, expect, it } from 'vitest';
import { errors } from '../../../../src/api/errors.ts';
import { METRIC } from '../../../../src/observe/metrics/catalog.ts';
import { endpointGauges, EXPOSITION_CONTENT_TYPE, renderTotals } from '../../../../src/observe/metrics/exposition.ts';
import { Metrics } from '../../../../src/observe/metrics/metrics.ts';
import type { RequestRecord } from '../../../../src/observe/request-record.ts';
import { MemoryStore } from '../../../../src/store/memory-store.ts';
import { fleetAt, servedRecord } from '../fixtures.ts';

const T0 = Date.UTC(2026, 11, 4, 10);
// A model id and a tenant no exposition should trip on.
const AWKWARD_MODEL = 'org/llama "8b"\\v2\nnext';
const AWKWARD_TENANT = 'acme\\"east"';
const DURATIONS_S = [0.005, 0.3, 0.3, 1.5, 100];

/** Totals as the store holds them after this traffic (the real tally and Metrics, over a MemoryStore). */
async function trafficTotals(): Promise<Map<string, number>> {
  const metrics = new Metrics({ store: new MemoryStore(), flushMs: 60_000 });
  const served = (endedAt: number, filled: Partial<RequestRecord>, status = 200, error?: unknown) =>
    metrics.observe(servedRecord({ startedAt: T0, ...filled }), 'chat', status, error, endedAt);
  for (const s of DURATIONS_S) served(T0 + s * 1000, { model: AWKWARD_MODEL, tenant: AWKWARD_TENANT });
  served(T0 + 2000, { stream: true, firstBytesAt: T0 + 120, streamOutcome: 'completed', usage: { input: 10, output: 41, cached: 0 } });
  served(T0 + 10, { cache: 'hit-l1', cost: { usd: 0, basis: 'cache' }, attempts: [] });
  served(T0 + 90, { cost: { usd: 0.01, basis: 'gpu-time', gpuUsd: 0.01 }, attempts: [{ endpoint: 'eu/llama/0', outcome: 'connect', ms: 3 }, { endpoint: 'eu/llama/1', outcome: 200, ms: 80 }] });
  served(T0 + 40, { usage: undefined, cost: undefined, attempts: [] }, 503, errors.noRoute('every region is down'));
  await metrics.flush();
  return metrics.totals();
}

const { gw, snapshot, first, second } = fleetAt(T0);
const { fleet } = gw;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Every sample line as the parser reads it (TYPE lines dropped, so _bucket, _sum and _count are not folded). */
function samplesOf(text: string): Sample[] {
  return parsePrometheusTextFormat(text.replace(/^# TYPE .*$/gm, '')).flatMap((f) =>
    f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: Number((m as PromSampleValue).value) })),
  );
}

const withoutLe = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le'));

const text = renderTotals(await trafficTotals(), endpointGauges(gw, snapshot, T0));
const families = parsePrometheusTextFormat(text);
const samples = samplesOf(text);
const family = (name: string) => families.find((f) => f.name === name);
const valuesOf = (name: string) => samples.filter((s) => s.name === name);

describe('renderTotals', () => {
  it('gives each family one HELP and one TYPE line, as the catalog says', () => {
    for (const def of Object.values(METRIC)) {
      const types = text.split('\n').filter((l) => l.startsWith(`# TYPE ${def.name} `));
      const f = family(def.name);
      if (!f) {
        expect(types, def.name).toEqual([]);
        continue;
      }
      expect(types, def.name).toEqual([`# TYPE ${def.name} ${def.type}`]);
      expect(f.type, def.name).toBe(def.type.toUpperCase());
      expect(f.help, def.name).toBe(def.help);
    }
    // Everything this traffic touches is there.
    for (const name of ['switchyard_requests_total', 'gen_ai_client_operation_duration_seconds', 'gen_ai_server_time_to_first_token_seconds', 'gen_ai_server_time_per_output_token_seconds', 'gen_ai_client_token_usage', 'switchyard_tokens_total', 'switchyard_cost_usd_total', 'switchyard_gpu_cost_usd_total', 'switchyard_cache_requests_total', 'switchyard_errors_total', 'switchyard_upstream_attempts_total', 'switchyard_failovers_total', 'switchyard_streams_total', 'switchyard_endpoint_up', 'switchyard_endpoint_circuit_breaker_state']) {
      expect(family(name), name).toBeDefined();
    }
  });

  it('writes no series twice', () => {
    const series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(series.length).toBeGreaterThan(50);
    expect(new Set(series).size).toBe(series.length);
  });

  it('reads back label values with quotes, backslashes and line feeds exactly', () => {
    const requests = valuesOf('switchyard_requests_total').filter((s) => s.labels['gen_ai_request_model'] === AWKWARD_MODEL);
    expect(requests).toEqual([{ name: 'switchyard_requests_total', labels: { gen_ai_operation_name: 'chat', gen_ai_request_model: AWKWARD_MODEL, tier: 'small', region: 'eu', tenant: AWKWARD_TENANT, status: '200', cache: 'none' }, value: DURATIONS_S.length }]);
    // Escaped on the wire: no raw line feed inside a sample line.
    expect(text.split('\n').every((l) => !l.includes('"8b"'))).toBe(true);
  });

  it('counts every request once, by status', () => {
    const byStatus = new Map<string, number>();
    for (const s of valuesOf('switchyard_requests_total')) byStatus.set(s.labels['status'] ?? '', (byStatus.get(s.labels['status'] ?? '') ?? 0) + s.value);
    expect(byStatus).toEqual(new Map([['200', DURATIONS_S.length + 3], ['503', 1]]));
    expect(valuesOf('switchyard_errors_total')).toEqual([{ name: 'switchyard_errors_total', labels: { error_type: 'service_unavailable_error', code: 'no_available_endpoint', region: 'eu' }, value: 1 }]);
    expect(valuesOf('switchyard_failovers_total').map((s) => [s.labels['result'], s.value])).toEqual([['recovered', 1]]);
  });

  it('writes every histogram series as cumulative buckets over the catalog bounds, ending in +Inf = _count, with one _sum', () => {
    let checked = 0;
    for (const def of Object.values(METRIC).filter((d) => d.type === 'histogram')) {
      const buckets = valuesOf(`${def.name}_bucket`);
      const sums = valuesOf(`${def.name}_sum`);
      const counts = valuesOf(`${def.name}_count`);
      const series = new Set(buckets.map((b) => withoutLe(b.labels)));
      expect(new Set(counts.map((c) => withoutLe(c.labels))), def.name).toEqual(series);
      expect(sums.map((s) => withoutLe(s.labels)).sort(), def.name).toEqual([...series].sort());
      for (const labels of series) {
        const mine = buckets.filter((b) => withoutLe(b.labels) === labels);
        expect(mine.map((b) => b.labels['le']), def.name).toEqual([...(def.buckets ?? []).map(String), '+Inf']);
        const cumulative = mine.map((b) => b.value);
        expect(cumulative, `${def.name} ${labels}`).toEqual([...cumulative].sort((a, b) => a - b));
        expect(cumulative.at(-1), `${def.name} ${labels}`).toBe(counts.find((c) => withoutLe(c.labels) === labels)?.value);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('puts each observation in the right cumulative bucket, and one above the last bound in +Inf only', () => {
    const series = (name: string) => valuesOf(name).filter((s) => s.labels['gen_ai_request_model'] === AWKWARD_MODEL);
    const cumulative = new Map(series('gen_ai_client_operation_duration_seconds_bucket').map((b) => [b.labels['le'], b.value]));
    expect(cumulative.get('0.01')).toBe(1); // 5 ms
    expect(cumulative.get('0.32')).toBe(3); // and 2 × 300 ms
    expect(cumulative.get('2.56')).toBe(4); // and 1.5 s
    expect(cumulative.get('81.92')).toBe(4); // 100 s is above every bound
    expect(cumulative.get('+Inf')).toBe(5);
    expect(series('gen_ai_client_operation_duration_seconds_sum')[0]?.value).toBeCloseTo(DURATIONS_S.reduce((a, b) => a + b, 0), 9);
    // A failure's duration is its own series, labelled with its status.
    expect(valuesOf('gen_ai_client_operation_duration_seconds_count').filter((s) => s.labels['error_type'] === '503').map((s) => s.value)).toEqual([1]);
  });

  it('writes sums without binary noise (at most 15 significant digits)', () => {
    const totals = new Map([['switchyard_cost_usd_total{basis="tokens"}', 0.1 + 0.2]]);
    expect(renderTotals(totals)).toContain('switchyard_cost_usd_total{basis="tokens"} 0.3\n');
  });

  it('leaves out stored fields of metrics it does not know (a newer version’s), rather than render them untyped', () => {
    const out = renderTotals(new Map([['switchyard_future_total{a="b"}', 3], ['switchyard_streams_total{outcome="completed"}', 2]]));
    expect(parsePrometheusTextFormat(out).map((f) => f.name)).toEqual(['switchyard_streams_total']);
  });

  it('keeps a histogram consistent when the store holds a bucket bound the catalog no longer has (counted in +Inf only)', () => {
    const name = METRIC.ttft.name;
    const out = renderTotals(new Map([[`${name}_bucket{region="eu",le="0.003"}`, 2], [`${name}_bucket{region="eu",le="0.1"}`, 1], [`${name}_sum{region="eu"}`, 0.106], [`${name}_count{region="eu"}`, 3]]));
    const buckets = samplesOf(out).filter((s) => s.name === `${name}_bucket`);
    expect(buckets.find((b) => b.labels['le'] === '0.1')?.value).toBe(1);
    expect(buckets.find((b) => b.labels['le'] === '+Inf')?.value).toBe(3);
    expect(buckets.some((b) => b.labels['le'] === '0.003')).toBe(false);
  });

  it('renders nothing for no totals and no gauges, which still parses', () => {
    expect(parsePrometheusTextFormat(renderTotals(new Map()))).toEqual([]);
  });

  it('is served as the text format, version 0.0.4', () => {
    expect(EXPOSITION_CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('endpointGauges', () => {
  const gauge = (name: string, endpoint: string) => valuesOf(name).filter((s) => s.labels['endpoint'] === endpoint);

  it('reports the prober’s readings per endpoint, labelled with its region and model', () => {
    const labels = { endpoint: first.id, region: first.region, gen_ai_request_model: first.model };
    expect(gauge('switchyard_endpoint_up', first.id)).toEqual([{ name: 'switchyard_endpoint_up', labels, value: 1 }]);
    expect(gauge('switchyard_endpoint_requests_running', first.id)[0]?.value).toBe(3);
    expect(gauge('switchyard_endpoint_requests_waiting', first.id)[0]?.value).toBe(1);
    expect(gauge('switchyard_endpoint_kv_cache_usage_ratio', first.id)[0]?.value).toBe(0.42);
    expect(gauge('switchyard_endpoint_gpu_utilization_ratio', first.id)[0]?.value).toBe(0.9);
    expect(gauge('switchyard_endpoint_gpu_memory_usage_ratio', first.id)[0]?.value).toBe(0.75);
    expect(valuesOf('switchyard_health_snapshot_age_seconds')).toEqual([{ name: 'switchyard_health_snapshot_age_seconds', labels: {}, value: 30 }]);
  });

  it('reports a down endpoint as 0 and leaves out the readings it did not give', () => {
    expect(gauge('switchyard_endpoint_up', second.id)[0]?.value).toBe(0);
    for (const name of ['switchyard_endpoint_requests_running', 'switchyard_endpoint_kv_cache_usage_ratio', 'switchyard_endpoint_gpu_utilization_ratio']) {
      expect(gauge(name, second.id), name).toEqual([]);
    }
  });

  it('reports this instance’s in-flight requests and exactly one breaker state per endpoint', () => {
    expect(gauge('switchyard_endpoint_inflight_requests', first.id)[0]?.value).toBe(2);
    expect(gauge('switchyard_endpoint_inflight_requests', second.id)[0]?.value).toBe(0);
    for (const e of fleet.endpoints) {
      const states = gauge('switchyard_endpoint_circuit_breaker_state', e.id);
      expect(states.map((s) => s.labels['state']).sort()).toEqual(['closed', 'half-open', 'open']);
      expect(states.filter((s) => s.value === 1).map((s) => s.labels['state'])).toEqual([e.id === second.id ? 'open' : 'closed']);
    }
  });

  it('without a snapshot, reports no health readings and no age, but still the routing state', () => {
    const names = endpointGauges(fleetAt(T0).gw, undefined, T0).map((g) => g.def.name);
    expect(names).toEqual(['switchyard_endpoint_inflight_requests', 'switchyard_endpoint_circuit_breaker_state']);
  });
});
