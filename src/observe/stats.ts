import type { Gateway } from '../gateway.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import { METRIC } from './metrics/catalog.ts';
import { parseField, quantile } from './metrics/fields.ts';

/** Percentiles of a latency histogram, in seconds (absent with no observations). */
export interface Percentiles {
  p50?: number;
  p95?: number;
  p99?: number;
  count: number;
}

export interface Totals {
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
}

export interface Breakdown extends Totals {
  name: string;
  errorRate: number;
  costPer1kTokensUsd: number | null;
  costPerRequestUsd: number | null;
}

export interface MinutePoint extends Totals {
  /** The minute's start, epoch ms. */
  t: number;
  latency: Percentiles;
  ttft: Percentiles;
  outputTokensPerSecond: number;
  cacheHits: number;
}

export interface EndpointRow {
  id: string;
  region: string;
  model: string;
  healthy: boolean | null;
  running: number | null;
  waiting: number | null;
  kvCacheUsage: number | null;
  gpuUtilization: number | null;
  inflight: number;
  breaker: string;
  error: string | null;
}

/** What the dashboard shows: the last minutes over every instance, and the fleet right now. */
export interface DashboardStats {
  now: number;
  windowMinutes: number;
  series: MinutePoint[];
  window: Totals & {
    errorRate: number;
    outputTokensPerSecond: number;
    requestsPerSecond: number;
    costPer1kTokensUsd: number | null;
    costPerRequestUsd: number | null;
    latency: Percentiles;
    ttft: Percentiles;
    cache: Record<string, number>;
    cacheHitRatio: number | null;
  };
  errorsByType: { type: string; code: string; count: number }[];
  byRegion: Breakdown[];
  byModel: Breakdown[];
  byTenant: Breakdown[];
  endpoints: EndpointRow[];
  regions: { id: string; latitude: number; longitude: number; continent: string; endpoints: number; healthy: number; running: number; waiting: number; kvCacheUsage: number | null }[];
  snapshotAgeSeconds: number | null;
}

const zero = (): Totals => ({ requests: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 });

class Histogram {
  readonly buckets = new Map<number, number>();
  count = 0;
  add(le: number | undefined, n: number, isCount: boolean) {
    if (le !== undefined) this.buckets.set(le, (this.buckets.get(le) ?? 0) + n);
    else if (isCount) this.count += n;
  }
  percentiles(bounds: readonly number[] = []): Percentiles {
    const at = (q: number) => quantile(q, this.buckets, this.count, bounds);
    const p = { count: this.count } as Percentiles;
    const [p50, p95, p99] = [at(0.5), at(0.95), at(0.99)];
    if (p50 !== undefined) p.p50 = p50;
    if (p95 !== undefined) p.p95 = p95;
    if (p99 !== undefined) p.p99 = p99;
    return p;
  }
}

/** Folds one bucket's fields into totals, histograms, and the breakdowns. */
class Fold {
  readonly totals = zero();
  readonly latency = new Histogram();
  readonly ttft = new Histogram();
  readonly cache: Record<string, number> = {};
  readonly errorsByType = new Map<string, number>();
  readonly by = { region: new Map<string, Totals>(), model: new Map<string, Totals>(), tenant: new Map<string, Totals>() };

  add(fields: ReadonlyMap<string, number>): void {
    for (const [field, n] of fields) {
      const { name, labels } = parseField(field);
      switch (name) {
        case METRIC.requests.name: {
          const failed = Number(labels['status']) >= 400;
          this.#each(labels, (t) => {
            t.requests += n;
            if (failed) t.errors += n;
          });
          break;
        }
        case METRIC.tokens.name: {
          const type = labels['gen_ai_token_type'];
          this.#each(labels, (t) => {
            if (type === 'input') t.inputTokens += n;
            else if (type === 'output') t.outputTokens += n;
            else if (type === 'cached_input') t.cachedTokens += n;
          });
          break;
        }
        case METRIC.cost.name:
          this.#each(labels, (t) => (t.costUsd += n));
          break;
        case METRIC.cache.name:
          if (labels['result']) this.cache[labels['result']] = (this.cache[labels['result']] ?? 0) + n;
          break;
        case METRIC.errors.name: {
          const key = `${labels['error_type'] ?? ''}\n${labels['code'] ?? ''}`;
          this.errorsByType.set(key, (this.errorsByType.get(key) ?? 0) + n);
          break;
        }
        case `${METRIC.duration.name}_bucket`:
        case `${METRIC.duration.name}_count`:
          this.latency.add(labels['le'] === undefined ? undefined : Number(labels['le']), n, name.endsWith('_count'));
          break;
        case `${METRIC.ttft.name}_bucket`:
        case `${METRIC.ttft.name}_count`:
          this.ttft.add(labels['le'] === undefined ? undefined : Number(labels['le']), n, name.endsWith('_count'));
          break;
      }
    }
  }

  /** The window's totals and each breakdown row the labels name. */
  #each(labels: Record<string, string>, apply: (t: Totals) => void): void {
    apply(this.totals);
    for (const [dimension, label] of [['region', 'region'], ['model', 'gen_ai_request_model'], ['tenant', 'tenant']] as const) {
      const value = labels[label];
      if (value === undefined) continue;
      const rows = this.by[dimension];
      let row = rows.get(value);
      if (!row) rows.set(value, (row = zero()));
      apply(row);
    }
  }
}

const per = (n: number, d: number) => (d > 0 ? n / d : null);

function breakdown(rows: ReadonlyMap<string, Totals>): Breakdown[] {
  return [...rows]
    .map(([name, t]) => ({
      name,
      ...t,
      errorRate: t.requests > 0 ? t.errors / t.requests : 0,
      costPer1kTokensUsd: per(t.costUsd * 1000, t.inputTokens + t.outputTokens),
      costPerRequestUsd: per(t.costUsd, t.requests),
    }))
    .sort((a, b) => b.requests - a.requests || (a.name < b.name ? -1 : 1));
}

/** The dashboard's numbers from minute buckets (each the sum over every instance) and the fleet's state now. */
export function dashboardStats(
  gw: Pick<Gateway, 'fleet' | 'live'>,
  minutes: ReadonlyMap<number, ReadonlyMap<string, number>>,
  snapshot: HealthSnapshot | undefined,
  now: number,
): DashboardStats {
  const window = new Fold();
  const series: MinutePoint[] = [];
  for (const [t, fields] of [...minutes].sort(([a], [b]) => a - b)) {
    const minute = new Fold();
    minute.add(fields);
    window.add(fields);
    const seconds = Math.max(1, Math.min(60, (now - t) / 1000));
    series.push({
      t,
      ...minute.totals,
      latency: minute.latency.percentiles(METRIC.duration.buckets ?? []),
      ttft: minute.ttft.percentiles(METRIC.ttft.buckets ?? []),
      outputTokensPerSecond: minute.totals.outputTokens / seconds,
      cacheHits: Object.entries(minute.cache).reduce((n, [r, c]) => (r.startsWith('hit') ? n + c : n), 0),
    });
  }
  const first = series[0]?.t ?? now;
  const windowSeconds = Math.max(1, (now - first) / 1000);
  const t = window.totals;
  const hits = Object.entries(window.cache).reduce((n, [r, c]) => (r.startsWith('hit') ? n + c : n), 0);
  const lookups = hits + (window.cache['miss'] ?? 0);

  const view = gw.live.view(now, snapshot);
  const endpoints: EndpointRow[] = gw.fleet.endpoints.map((e) => {
    const h = snapshot?.endpoints[e.id];
    const state = view.endpoint(e.id);
    return {
      id: e.id,
      region: e.region,
      model: e.model,
      healthy: h ? h.healthy : null,
      running: h?.running ?? null,
      waiting: h?.waiting ?? null,
      kvCacheUsage: h?.kvCacheUsage ?? null,
      gpuUtilization: h?.gpuUtilization ?? null,
      inflight: state.inflight,
      breaker: state.breaker,
      error: h?.error ?? null,
    };
  });
  const regions = gw.fleet.regions.map((r) => {
    const mine = endpoints.filter((e) => e.region === r.id);
    const kv = mine.flatMap((e) => (e.kvCacheUsage === null ? [] : [e.kvCacheUsage]));
    return {
      id: r.id,
      latitude: r.location.latitude,
      longitude: r.location.longitude,
      continent: r.location.continent,
      endpoints: mine.length,
      healthy: mine.filter((e) => e.healthy === true).length,
      running: mine.reduce((n, e) => n + (e.running ?? 0), 0),
      waiting: mine.reduce((n, e) => n + (e.waiting ?? 0), 0),
      kvCacheUsage: kv.length > 0 ? Math.max(...kv) : null,
    };
  });

  return {
    now,
    windowMinutes: minutes.size,
    series,
    window: {
      ...t,
      errorRate: t.requests > 0 ? t.errors / t.requests : 0,
      outputTokensPerSecond: t.outputTokens / windowSeconds,
      requestsPerSecond: t.requests / windowSeconds,
      costPer1kTokensUsd: per(t.costUsd * 1000, t.inputTokens + t.outputTokens),
      costPerRequestUsd: per(t.costUsd, t.requests),
      latency: window.latency.percentiles(METRIC.duration.buckets ?? []),
      ttft: window.ttft.percentiles(METRIC.ttft.buckets ?? []),
      cache: window.cache,
      cacheHitRatio: lookups > 0 ? hits / lookups : null,
    },
    errorsByType: [...window.errorsByType].map(([key, count]) => {
      const [type = '', code = ''] = key.split('\n');
      return { type, code, count };
    }).sort((a, b) => b.count - a.count),
    byRegion: breakdown(window.by.region),
    byModel: breakdown(window.by.model),
    byTenant: breakdown(window.by.tenant),
    endpoints,
    regions,
    snapshotAgeSeconds: snapshot ? Math.max(0, (now - snapshot.takenAt) / 1000) : null,
  };
}
