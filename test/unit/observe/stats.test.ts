// The dashboard's numbers from minute buckets (as Metrics reads them back) and the fleet's state:
// per-minute series, window totals and rates, latency percentiles from the histogram buckets,
// errors by type, cost per 1k tokens and per request by region, model and tenant, cache hit
// ratio, and the endpoint and region table from the prober and this instance's routing state.
import { describe, expect, it } from 'vitest';
import { errors } from '../../../src/api/errors.ts';
import { Metrics } from '../../../src/observe/metrics/metrics.ts';
import type { RequestRecord } from '../../../src/observe/request-record.ts';
import { dashboardStats } from '../../../src/observe/stats.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { fleetAt, servedRecord } from './fixtures.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 4, 10);
/** 30 s into the third minute of the window. */
const NOW = T0 + 2 * MINUTE + 30_000;

/** Three minutes of traffic, read back as the dashboard reads it. */
async function windowOfTraffic() {
  const metrics = new Metrics({ store: new MemoryStore(), flushMs: 60_000 });
  const served = (endedAt: number, ms: number, filled: Partial<RequestRecord> = {}, status = 200, error?: unknown) =>
    metrics.observe(servedRecord({ startedAt: endedAt - ms, ...filled }), 'chat', status, error, endedAt);
  // Minute 0: ten requests of 300 ms (100 in, 20 out, $0.002 each), half of them streamed (TTFT 50 ms).
  for (let i = 0; i < 10; i++) served(T0 + 1000 + i, 300, i % 2 === 0 ? { firstBytesAt: T0 + 1000 + i - 250 } : {});
  // Minute 1: nothing. Minute 2: globex in us, two cache hits, a miss, a bypass, two failures.
  served(T0 + 2 * MINUTE + 1, 1000, { tenant: 'globex', region: 'us', model: 'qwen', usage: { input: 1000, output: 500, cached: 0 }, cost: { usd: 0.03, basis: 'tokens' } });
  served(T0 + 2 * MINUTE + 2, 5, { cache: 'hit-l1', cost: { usd: 0, basis: 'cache' } });
  served(T0 + 2 * MINUTE + 3, 5, { cache: 'hit-l3', cost: { usd: 0, basis: 'cache' } });
  served(T0 + 2 * MINUTE + 4, 300, { cache: 'miss' });
  served(T0 + 2 * MINUTE + 5, 300, { cache: 'bypass' });
  served(T0 + 2 * MINUTE + 6, 20, { usage: undefined, cost: undefined }, 503, errors.noRoute('down'));
  served(T0 + 2 * MINUTE + 7, 20, { usage: undefined, cost: undefined }, 429, errors.saturated('llama', 1000));
  served(T0 + 2 * MINUTE + 8, 20, { usage: undefined, cost: undefined }, 503, errors.noRoute('down'));
  return metrics.minutes(T0, NOW);
}

const minutes = await windowOfTraffic();
const { gw, snapshot, first, second } = fleetAt(NOW);
const stats = dashboardStats(gw, minutes, snapshot, NOW);

describe('dashboardStats, series', () => {
  it('has one point per minute of the window, in order, empty minutes included', () => {
    expect(stats.windowMinutes).toBe(3);
    expect(stats.series.map((p) => p.t)).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE]);
    expect(stats.series.map((p) => p.requests)).toEqual([10, 0, 8]);
    expect(stats.series.map((p) => p.errors)).toEqual([0, 0, 3]);
    expect(stats.series.map((p) => p.cacheHits)).toEqual([0, 0, 2]);
  });

  it('gives output tokens per second over a whole past minute, and over the seconds elapsed in the current one', () => {
    const [m0, m1, m2] = stats.series;
    expect(m0?.outputTokensPerSecond).toBeCloseTo(200 / 60, 12);
    expect(m1?.outputTokensPerSecond).toBe(0);
    // 500 + 4 × 20 output tokens in the 30 s of the current minute.
    expect(m2?.outputTokensPerSecond).toBeCloseTo(580 / 30, 12);
  });

  it('derives P50 / P95 / P99 from the histogram buckets, as histogram_quantile does', () => {
    // Ten 300 ms requests in the (0.16, 0.32] bucket: linear inside it.
    expect(stats.series[0]?.latency).toEqual({ count: 10, p50: 0.16 + 0.16 * 0.5, p95: expect.closeTo(0.16 + 0.16 * 0.95, 12), p99: expect.closeTo(0.16 + 0.16 * 0.99, 12) });
    // Five streamed with a 50 ms first chunk, in (0.04, 0.06].
    expect(stats.series[0]?.ttft).toMatchObject({ count: 5, p50: expect.closeTo(0.04 + 0.02 * 0.5, 12) });
    expect(stats.series[1]?.latency).toEqual({ count: 0 });
  });
});

describe('dashboardStats, window', () => {
  it('adds up the window: requests, errors, tokens, cost and their rates', () => {
    const w = stats.window;
    expect(w).toMatchObject({ requests: 18, errors: 3, inputTokens: 10 * 100 + 1000 + 4 * 100, outputTokens: 10 * 20 + 500 + 4 * 20, cachedTokens: 14 * 64 });
    expect(w.costUsd).toBeCloseTo(12 * 0.002 + 0.03, 12);
    expect(w.errorRate).toBeCloseTo(3 / 18, 12);
    // From the window's first minute to now: 150 s.
    expect(w.requestsPerSecond).toBeCloseTo(18 / 150, 12);
    expect(w.outputTokensPerSecond).toBeCloseTo(780 / 150, 12);
    expect(w.costPerRequestUsd).toBeCloseTo(w.costUsd / 18, 12);
    expect(w.costPer1kTokensUsd).toBeCloseTo((w.costUsd * 1000) / (2400 + 780), 12);
  });

  it('counts cache results by tier, and the hit ratio over lookups (bypass is not a lookup)', () => {
    expect(stats.window.cache).toEqual({ 'hit-l1': 1, 'hit-l3': 1, miss: 1, bypass: 1 });
    expect(stats.window.cacheHitRatio).toBeCloseTo(2 / 3, 12);
  });

  it('lists errors by type and code, most frequent first', () => {
    expect(stats.errorsByType).toEqual([
      { type: 'service_unavailable_error', code: 'no_available_endpoint', count: 2 },
      { type: 'rate_limit_error', code: 'upstream_saturated', count: 1 },
    ]);
  });

  it('breaks requests, errors and cost down by region, model and tenant, busiest first', () => {
    expect(stats.byTenant.map((r) => [r.name, r.requests, r.errors])).toEqual([['acme', 17, 3], ['globex', 1, 0]]);
    expect(stats.byRegion.map((r) => r.name)).toEqual(['eu', 'us']);
    const qwen = stats.byModel.find((r) => r.name === 'qwen');
    expect(qwen).toMatchObject({ requests: 1, errors: 0, errorRate: 0, inputTokens: 1000, outputTokens: 500, costUsd: 0.03 });
    expect(qwen?.costPerRequestUsd).toBeCloseTo(0.03, 12);
    expect(qwen?.costPer1kTokensUsd).toBeCloseTo(0.02, 12);
    expect(stats.byModel.find((r) => r.name === 'llama')?.errorRate).toBeCloseTo(3 / 17, 12);
  });

  it('shows the fleet now: each endpoint’s health, load, KV usage, in-flight requests and breaker', () => {
    expect(stats.endpoints).toHaveLength(gw.fleet.endpoints.length);
    expect(stats.endpoints.find((e) => e.id === first.id)).toEqual({ id: first.id, region: first.region, model: first.model, healthy: true, running: 3, waiting: 1, kvCacheUsage: 0.42, gpuUtilization: 0.9, inflight: 2, breaker: 'closed', error: null });
    expect(stats.endpoints.find((e) => e.id === second.id)).toMatchObject({ healthy: false, running: null, kvCacheUsage: null, breaker: 'open', error: 'connect ECONNREFUSED' });
    // Not probed: unknown, not unhealthy.
    expect(stats.endpoints.filter((e) => e.healthy === null)).toHaveLength(gw.fleet.endpoints.length - 2);
    expect(stats.snapshotAgeSeconds).toBe(30);
  });

  it('sums each region’s endpoints, with its highest KV-cache usage', () => {
    const home = stats.regions.find((r) => r.id === first.region);
    const inHome = gw.fleet.endpoints.filter((e) => e.region === first.region).length;
    expect(home).toMatchObject({ endpoints: inHome, healthy: 1, running: 3, waiting: 1, kvCacheUsage: 0.42 });
    expect(stats.regions.map((r) => r.id)).toEqual(gw.fleet.regions.map((r) => r.id));
    expect(stats.regions.find((r) => r.id !== first.region)?.kvCacheUsage).toBeNull();
  });
});

describe('dashboardStats, nothing yet', () => {
  it('answers well-formed zeros and nulls with no traffic and no snapshot (no division by zero)', () => {
    const empty = dashboardStats(fleetAt(NOW).gw, new Map(), undefined, NOW);
    expect(empty.series).toEqual([]);
    expect(empty.window).toMatchObject({ requests: 0, errorRate: 0, requestsPerSecond: 0, outputTokensPerSecond: 0, costPer1kTokensUsd: null, costPerRequestUsd: null, cacheHitRatio: null, latency: { count: 0 }, ttft: { count: 0 } });
    expect(empty.byRegion).toEqual([]);
    expect(empty.snapshotAgeSeconds).toBeNull();
    expect(empty.endpoints.every((e) => e.healthy === null && e.running === null)).toBe(true);
    expect(JSON.parse(JSON.stringify(empty))).toEqual(empty);
  });

  it('gives a row with requests but no tokens a null cost per 1k tokens, not Infinity', async () => {
    const metrics = new Metrics({ store: new MemoryStore(), flushMs: 60_000 });
    metrics.observe(servedRecord({ startedAt: T0, usage: undefined, cost: { usd: 0.01, basis: 'gpu-time', gpuUsd: 0.01 } }), 'chat', 200, undefined, T0 + 100);
    const one = dashboardStats(fleetAt(T0).gw, await metrics.minutes(T0, T0), undefined, T0 + 1000);
    expect(one.byModel[0]).toMatchObject({ costPer1kTokensUsd: null, costPerRequestUsd: 0.01 });
    // At least a second of window, however young.
    expect(one.window.requestsPerSecond).toBe(1);
  });
});
