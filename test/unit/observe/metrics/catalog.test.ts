// The metric catalog against the conventions it claims: Prometheus names (valid, snake case,
// `_total` on counters and only there, a unit suffix), OpenTelemetry GenAI names and the
// conventions' advised histogram buckets, and every metric listed in the README.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../../../src/observe/metrics/catalog.ts';

const DEFS = Object.values(METRIC);
// Prometheus' metric name grammar, minus the colon it reserves for recording rules.
const PROMETHEUS_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

describe('metric catalog', () => {
  it.each(DEFS.map((d) => [d.name, d] as const))('%s is a valid, snake-case Prometheus name', (name) => {
    expect(name).toMatch(PROMETHEUS_NAME);
    expect(name).toMatch(/^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    expect(name.startsWith('__')).toBe(false);
  });

  it('has no name twice, and no name that collides with a histogram’s _bucket, _sum or _count series', () => {
    const names = DEFS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    const series = DEFS.filter((d) => d.type === 'histogram').flatMap((d) => ['_bucket', '_sum', '_count'].map((s) => d.name + s));
    expect(names.filter((n) => series.includes(n))).toEqual([]);
  });

  it('ends every counter in _total and nothing else in _total', () => {
    for (const d of DEFS) expect(`${d.name} ${d.name.endsWith('_total')}`).toBe(`${d.name} ${d.type === 'counter'}`);
  });

  it('gives histograms sorted, finite, positive bucket bounds and nothing else buckets', () => {
    for (const d of DEFS) {
      if (d.type !== 'histogram') {
        expect(d.buckets, d.name).toBeUndefined();
        continue;
      }
      const bounds = d.buckets ?? [];
      expect(bounds.length, d.name).toBeGreaterThan(1);
      for (const b of bounds) expect(Number.isFinite(b) && b > 0, `${d.name} ${b}`).toBe(true);
      for (let i = 1; i < bounds.length; i++) expect(bounds[i] as number, d.name).toBeGreaterThan(bounds[i - 1] as number);
    }
  });

  it('names time in seconds and ratios as _ratio (base units, as Prometheus asks)', () => {
    for (const d of DEFS) {
      expect(d.name, d.name).not.toMatch(/_(ms|milliseconds|percent|perc)(_|$)/);
      if (/(^|_)(duration|time|age)(_|$)/.test(d.name)) expect(d.name).toMatch(/_seconds$/);
    }
  });

  it('follows the OpenTelemetry GenAI metric names and their advised bucket boundaries', () => {
    // semconv gen-ai-metrics: gen_ai.client.operation.duration (s), gen_ai.client.token.usage ({token}),
    // gen_ai.server.time_to_first_token (s), gen_ai.server.time_per_output_token (s).
    expect(METRIC.duration).toMatchObject({ name: 'gen_ai_client_operation_duration_seconds', type: 'histogram', buckets: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92] });
    expect(METRIC.tokenUsage).toMatchObject({ name: 'gen_ai_client_token_usage', type: 'histogram', buckets: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864] });
    expect(METRIC.ttft).toMatchObject({ name: 'gen_ai_server_time_to_first_token_seconds', type: 'histogram', buckets: [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });
    expect(METRIC.tpot).toMatchObject({ name: 'gen_ai_server_time_per_output_token_seconds', type: 'histogram', buckets: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5] });
  });

  it('has help text on one line that needs no escaping', () => {
    for (const d of DEFS) expect(d.help, d.name).toMatch(/^[^\n\\]{10,}$/);
  });

  it('lists every metric in the README', () => {
    const readme = readFileSync('README.md', 'utf8');
    // The README's endpoint-gauge row shortens the later names to their part after `switchyard_endpoint`.
    const listed = (name: string) => readme.includes(`\`${name}\``) || (name.startsWith('switchyard_endpoint_') && readme.includes(`\`${name.slice('switchyard_endpoint'.length)}\``));
    expect(DEFS.map((d) => d.name).filter((n) => !listed(n))).toEqual([]);
  });
});
