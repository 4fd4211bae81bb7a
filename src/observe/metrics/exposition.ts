import type { Gateway } from '../../gateway.ts';
import type { HealthSnapshot } from '../../health/snapshot.ts';
import { METRIC, type MetricDef } from './catalog.ts';
import { labels } from './series.ts';

/** Prometheus' text format, version 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const SUFFIX = /^(.*)_(bucket|sum|count)$/;

/** The family a stored field belongs to: its metric name, or the histogram it is a bucket, sum or count of. */
function familyOf(field: string): string {
  const brace = field.indexOf('{');
  const name = brace < 0 ? field : field.slice(0, brace);
  const m = SUFFIX.exec(name);
  return m && HISTOGRAM_NAMES.has(m[1] as string) ? (m[1] as string) : name;
}

const DEFS: readonly MetricDef[] = Object.values(METRIC);
const HISTOGRAM_NAMES: ReadonlySet<string> = new Set(DEFS.filter((d) => d.type === 'histogram').map((d) => d.name));

const num = (n: number) => (Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(15))));

/** `name_bucket{a="x",le="0.5"}` → [`{a="x"}`, 0.5]; `name_sum{a="x"}` → [`{a="x"}`]. */
function splitLe(field: string): { labels: string; le?: number } {
  const brace = field.indexOf('{');
  if (brace < 0) return { labels: '' };
  const inner = field.slice(brace + 1, -1);
  const at = inner.lastIndexOf('le="');
  if (at < 0 || !field.includes('_bucket{')) return { labels: `{${inner}}` };
  const rest = inner.slice(0, Math.max(0, at - 1));
  return { labels: rest === '' ? '' : `{${rest}}`, le: Number(inner.slice(at + 4, -1)) };
}

/**
 * Renders stored totals (counters, and histograms kept as per-bucket counts) in Prometheus'
 * text format: one HELP and TYPE per family, histogram buckets cumulated, `+Inf` = count.
 */
export function renderTotals(totals: ReadonlyMap<string, number>, extra: readonly GaugeFamily[] = []): string {
  const byFamily = new Map<string, [string, number][]>();
  for (const [field, n] of totals) {
    const family = familyOf(field);
    let list = byFamily.get(family);
    if (!list) byFamily.set(family, (list = []));
    list.push([field, n]);
  }
  const out: string[] = [];
  for (const def of DEFS) {
    const fields = byFamily.get(def.name);
    const gauge = extra.find((g) => g.def === def);
    if (!fields && !gauge) continue;
    out.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    if (gauge) for (const [labelText, value] of gauge.samples) out.push(`${def.name}${labelText} ${num(value)}`);
    if (!fields) continue;
    if (def.type !== 'histogram') {
      for (const [field, n] of fields.sort(([a], [b]) => (a < b ? -1 : 1))) out.push(`${field} ${num(n)}`);
      continue;
    }
    const series = new Map<string, { buckets: Map<number, number>; sum: number; count: number }>();
    for (const [field, n] of fields) {
      const { labels: labelText, le } = splitLe(field);
      let s = series.get(labelText);
      if (!s) series.set(labelText, (s = { buckets: new Map(), sum: 0, count: 0 }));
      if (le !== undefined) s.buckets.set(le, (s.buckets.get(le) ?? 0) + n);
      else if (field.startsWith(`${def.name}_sum`)) s.sum += n;
      else s.count += n;
    }
    for (const [labelText, s] of [...series].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const inner = labelText === '' ? '' : `${labelText.slice(1, -1)},`;
      let cumulative = 0;
      for (const bound of def.buckets ?? []) {
        cumulative += s.buckets.get(bound) ?? 0;
        out.push(`${def.name}_bucket{${inner}le="${bound}"} ${num(cumulative)}`);
      }
      out.push(`${def.name}_bucket{${inner}le="+Inf"} ${num(s.count)}`, `${def.name}_sum${labelText} ${num(s.sum)}`, `${def.name}_count${labelText} ${num(s.count)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** A gauge family read at scrape time: label text → value. */
export interface GaugeFamily {
  def: MetricDef;
  samples: [string, number][];
}

/**
 * Gauges of the moment: each endpoint's health and vLLM load from the prober's snapshot (the
 * same numbers for every instance), and this instance's in-flight requests and breakers.
 */
export function endpointGauges(gw: Pick<Gateway, 'fleet' | 'live'>, snapshot: HealthSnapshot | undefined, now: number): GaugeFamily[] {
  const families = {
    up: { def: METRIC.endpointUp, samples: [] as [string, number][] },
    running: { def: METRIC.endpointRunning, samples: [] as [string, number][] },
    waiting: { def: METRIC.endpointWaiting, samples: [] as [string, number][] },
    kv: { def: METRIC.endpointKv, samples: [] as [string, number][] },
    gpu: { def: METRIC.endpointGpu, samples: [] as [string, number][] },
    gpuMemory: { def: METRIC.endpointGpuMemory, samples: [] as [string, number][] },
    inflight: { def: METRIC.endpointInflight, samples: [] as [string, number][] },
    breaker: { def: METRIC.breaker, samples: [] as [string, number][] },
    age: { def: METRIC.snapshotAge, samples: [] as [string, number][] },
  };
  const view = gw.live.view(now, snapshot);
  for (const e of gw.fleet.endpoints) {
    const l = labels({ endpoint: e.id, region: e.region, gen_ai_request_model: e.model });
    const state = view.endpoint(e.id);
    const h = snapshot?.endpoints[e.id];
    if (h) {
      families.up.samples.push([l, h.healthy ? 1 : 0]);
      if (h.running !== undefined) families.running.samples.push([l, h.running]);
      if (h.waiting !== undefined) families.waiting.samples.push([l, h.waiting]);
      if (h.kvCacheUsage !== undefined) families.kv.samples.push([l, h.kvCacheUsage]);
      if (h.gpuUtilization !== undefined) families.gpu.samples.push([l, h.gpuUtilization]);
      if (h.gpuMemoryUsage !== undefined) families.gpuMemory.samples.push([l, h.gpuMemoryUsage]);
    }
    families.inflight.samples.push([l, state.inflight]);
    for (const s of ['closed', 'open', 'half-open'] as const) {
      families.breaker.samples.push([labels({ endpoint: e.id, region: e.region, gen_ai_request_model: e.model, state: s }), state.breaker === s ? 1 : 0]);
    }
  }
  if (snapshot) families.age.samples.push(['', Math.max(0, (now - snapshot.takenAt) / 1000)]);
  return Object.values(families).filter((f) => f.samples.length > 0);
}
