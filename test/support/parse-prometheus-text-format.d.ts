// Types for the parse-prometheus-text-format package (it ships none): its prom2json-shaped output.
declare module 'parse-prometheus-text-format' {
  export interface PromSampleValue {
    labels?: Record<string, string>;
    value: string;
    timestamp_ms?: string;
  }
  export interface PromHistogramValue {
    labels?: Record<string, string>;
    /** Cumulative counts by upper bound (`le`), as strings. */
    buckets: Record<string, string>;
    count: string;
    sum: string;
  }
  export interface PromSummaryValue {
    labels?: Record<string, string>;
    quantiles: Record<string, string>;
    count: string;
    sum: string;
  }
  export interface PromFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: (PromSampleValue | PromHistogramValue | PromSummaryValue)[];
  }
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
