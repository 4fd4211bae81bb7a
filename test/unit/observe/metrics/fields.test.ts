// Stored fields read back (name and labels), and quantiles from histogram buckets the way
// Prometheus' histogram_quantile computes them.
import { describe, expect, it } from 'vitest';
import { parseField, quantile } from '../../../../src/observe/metrics/fields.ts';

describe('parseField', () => {
  it('reads a field without labels as its name', () => {
    expect(parseField('switchyard_requests_total')).toEqual({ name: 'switchyard_requests_total', labels: {} });
  });

  it('reads a histogram bucket field with its le label', () => {
    expect(parseField('gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name="chat",le="0.32"}')).toEqual({
      name: 'gen_ai_client_operation_duration_seconds_bucket',
      labels: { gen_ai_operation_name: 'chat', le: '0.32' },
    });
  });

  it('unescapes \\\\, \\" and \\n in values', () => {
    expect(parseField('m{a="x\\\\y",b="say \\"hi\\"",c="1\\n2"}').labels).toEqual({ a: 'x\\y', b: 'say "hi"', c: '1\n2' });
  });

  it('reads an empty value', () => {
    expect(parseField('m{a=""}').labels).toEqual({ a: '' });
  });
});

describe('quantile', () => {
  const bounds = [1, 2, 4];
  // 2 observations in (0,1], 2 in (1,2], 4 in (2,4].
  const buckets = new Map([
    [1, 2],
    [2, 2],
    [4, 4],
  ]);

  it('interpolates linearly inside the bucket the rank falls in', () => {
    expect(quantile(0.5, buckets, 8, bounds)).toBe(2); // rank 4: the top of (1,2]
    expect(quantile(0.25, buckets, 8, bounds)).toBe(1); // rank 2: the top of (0,1]
    expect(quantile(0.95, buckets, 8, bounds)).toBeCloseTo(2 + 2 * ((7.6 - 4) / 4), 12);
  });

  it('starts the first bucket at 0', () => {
    expect(quantile(0.125, buckets, 8, bounds)).toBe(0.5); // rank 1 of 2 in (0,1]
  });

  it('answers the last bound for a rank among observations above it (the +Inf bucket), as Prometheus does', () => {
    // 8 in the finite buckets, 2 more above 4.
    expect(quantile(0.99, buckets, 10, bounds)).toBe(4);
    expect(quantile(0.5, buckets, 10, bounds)).toBe(2 + 2 * ((5 - 4) / 4));
  });

  it('skips empty buckets', () => {
    const sparse = new Map([[4, 4]]);
    expect(quantile(0.5, sparse, 4, bounds)).toBe(2 + 2 * (2 / 4));
  });

  it('is undefined with no observations', () => {
    expect(quantile(0.5, new Map(), 0, bounds)).toBeUndefined();
  });

  it('is monotonic in q', () => {
    const qs = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];
    const values = qs.map((q) => quantile(q, buckets, 9, bounds) as number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });
});
