// Reading a Prometheus text exposition in tests: each family's declared type from a real parser,
// and every sample line with its labels (histogram series included).
import parsePrometheusTextFormat, { type PromFamily, type PromSampleValue } from 'parse-prometheus-text-format';
import { expect } from 'vitest';

export type Labels = Record<string, string>;
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** One scrape of Prometheus text: each family's declared type, and every sample line with its labels. */
export class Scrape {
  readonly types: ReadonlyMap<string, PromFamily['type']>;
  readonly samples: readonly Sample[];
  constructor(text: string) {
    this.types = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f.type]));
    // parse-prometheus-text-format 1.1.1 folds a labelled histogram into one series without its
    // labels, sum or count (its open issue #13). Parsed again without the histograms' TYPE lines,
    // each bucket, sum and count line is a sample of its own, labels and all.
    const untyped = text
      .split('\n')
      .filter((line) => !/^# TYPE \S+ histogram$/.test(line))
      .join('\n');
    this.samples = parsePrometheusTextFormat(untyped).flatMap((f) => f.metrics.map((m) => ({ name: f.name, labels: m.labels ?? {}, value: Number((m as PromSampleValue).value) })));
  }

  /** The sum of a metric's samples whose labels include all of `match`. */
  sum(name: string, match: Labels = {}): number {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
  }

  /** One histogram series, its labels exactly `labels`: cumulative buckets by bound, count and sum. */
  histogram(name: string, labels: Labels): { buckets: [number, number][]; count: number; sum: number } {
    const same = (l: Labels) => Object.keys(l).length === Object.keys(labels).length && Object.entries(labels).every(([k, v]) => l[k] === v);
    const buckets = this.samples
      .filter((s) => s.name === `${name}_bucket`)
      .flatMap((s): [number, number][] => {
        const { le, ...rest } = s.labels;
        return le !== undefined && same(rest) ? [[le === '+Inf' ? Infinity : Number(le), s.value]] : [];
      })
      .sort(([a], [b]) => a - b);
    const value = (suffix: string) => this.samples.find((s) => s.name === `${name}_${suffix}` && same(s.labels))?.value ?? 0;
    return { buckets, count: value('count'), sum: value('sum') };
  }
}

/** A histogram series is well formed: buckets cumulative, `+Inf` equal to the count. */
export function expectWellFormed(h: { buckets: [number, number][]; count: number }): void {
  expect(h.buckets.length).toBeGreaterThan(1);
  const counts = h.buckets.map(([, n]) => n);
  expect(counts).toEqual([...counts].sort((a, b) => a - b));
  expect(h.buckets.at(-1)).toEqual([Infinity, h.count]);
}
