/** A stored field read back: `name{a="x",b="y"}` → name and labels. */
export interface ParsedField {
  name: string;
  labels: Record<string, string>;
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (v: string) => (v.includes('\\') ? v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : v);

export function parseField(field: string): ParsedField {
  const brace = field.indexOf('{');
  if (brace < 0) return { name: field, labels: {} };
  const labels: Record<string, string> = {};
  for (const m of field.slice(brace + 1, -1).matchAll(LABEL)) labels[m[1] as string] = unescape(m[2] as string);
  return { name: field.slice(0, brace), labels };
}

/**
 * The q-quantile of a histogram given as (upper bound, count in that bucket) pairs, by linear
 * interpolation inside the bucket, as Prometheus' histogram_quantile does. Observations above
 * the last bound count towards `total` only; a quantile falling there is the last bound.
 */
export function quantile(q: number, buckets: ReadonlyMap<number, number>, total: number, bounds: readonly number[]): number | undefined {
  if (total <= 0) return undefined;
  const rank = q * total;
  let below = 0;
  let lower = 0;
  for (const bound of bounds) {
    const n = buckets.get(bound) ?? 0;
    if (below + n >= rank && n > 0) return lower + (bound - lower) * ((rank - below) / n);
    below += n;
    lower = bound;
  }
  return bounds[bounds.length - 1];
}
