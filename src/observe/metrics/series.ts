import type { MetricDef } from './catalog.ts';

/** Label values as Prometheus' text format escapes them. */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `{a="x",b="y"}`: one series' labels, in the order given. */
export function labels(pairs: Readonly<Record<string, string>>): string {
  let out = '';
  for (const name in pairs) out += `${out === '' ? '{' : ','}${name}="${escapeLabel(pairs[name] as string)}"`;
  return out === '' ? '' : `${out}}`;
}

/** Adds `n` to a field of a delta map. */
export type Add = (field: string, n: number) => void;

/**
 * One observation of a histogram as stored: the bucket it falls in (not cumulative: one field
 * per observation instead of one per bucket), the sum and the count. The exposition cumulates.
 */
export function observe(add: Add, metric: MetricDef, labelText: string, value: number): void {
  const bounds = metric.buckets ?? [];
  const inner = labelText === '' ? '' : labelText.slice(1, -1);
  for (const bound of bounds) {
    if (value <= bound) {
      add(`${metric.name}_bucket{${inner === '' ? '' : `${inner},`}le="${bound}"}`, 1);
      break;
    }
  }
  add(`${metric.name}_sum${labelText}`, value);
  add(`${metric.name}_count${labelText}`, 1);
}
