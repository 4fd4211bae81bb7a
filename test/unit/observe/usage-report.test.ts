// GET /v1/usage's query and report: OpenAI's usage API names (start_time, end_time,
// bucket_width, group_by), usage rows summed per bucket and group over [start, end), filters,
// bounded ranges, and a client key's scope: its own key's usage and nothing else.
import { describe, expect, it } from 'vitest';
import { errors } from '../../../src/api/errors.ts';
import { Metrics } from '../../../src/observe/metrics/metrics.ts';
import type { RequestRecord } from '../../../src/observe/request-record.ts';
import { UsageQuerySchema, usageReport, UsageRangeError, type UsageQuery } from '../../../src/observe/usage-report.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { servedRecord } from './fixtures.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Midnight UTC, 2026-12-04. */
const DAY0 = Date.UTC(2026, 11, 4);
const NOW = DAY0 + 12 * HOUR;
const s = (ms: number) => ms / 1000;

const query = (q: Record<string, string> = {}): UsageQuery => UsageQuerySchema.parse(q);

/**
 * acme's key-a: two requests at 01:xx (one failed), one at 03:xx, one the day before;
 * acme's key-b: one at 01:xx on another model; globex's key-g: one at 03:xx in another region.
 */
async function usageMetrics(): Promise<Metrics> {
  const metrics = new Metrics({ store: new MemoryStore(), flushMs: 60_000 });
  const at = (endedAt: number, filled: Partial<RequestRecord>, status = 200) =>
    metrics.observe(servedRecord({ startedAt: endedAt - 100, ...filled }), 'chat', status, status < 400 ? undefined : errors.noRoute('down'), endedAt);
  at(DAY0 + HOUR + 5, {});
  at(DAY0 + HOUR + 6, { usage: undefined, cost: undefined }, 503);
  at(DAY0 + 3 * HOUR, {});
  at(DAY0 - HOUR, {});
  at(DAY0 + HOUR + 7, { keyId: 'key-b', model: 'qwen', usage: { input: 1000, output: 10, cached: 0 }, cost: { usd: 0.5, basis: 'tokens' } });
  at(DAY0 + 3 * HOUR + 1, { tenant: 'globex', keyId: 'key-g', region: 'us', cost: { usd: 0.25, basis: 'gpu-time', gpuUsd: 0.25 } });
  // Half the traffic written to the store, the rest still in this instance: the report reads both.
  await metrics.flush();
  at(DAY0 + 3 * HOUR + 2, { keyId: 'key-b', model: 'qwen', usage: { input: 1, output: 1, cached: 1 }, cost: { usd: 0.001, basis: 'tokens' } });
  return metrics;
}

const metrics = await usageMetrics();

describe('UsageQuerySchema', () => {
  it('defaults to daily buckets and no grouping', () => {
    expect(query()).toEqual({ bucket_width: '1d', group_by: [] });
  });

  it('reads group_by as a comma list, spaces allowed', () => {
    expect(query({ group_by: 'tenant, model ,key_id' }).group_by).toEqual(['tenant', 'model', 'key_id']);
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ group_by: 'tenant,colour' }, /unknown group_by colour; expected some of tenant, key_id, model, region/],
    [{ bucket_width: '1m' }, /1h|1d/],
    [{ start_time: '-5' }, /./],
    [{ start_time: '1.5' }, /./],
    [{ end_time: 'yesterday' }, /./],
    [{ tenant: '' }, /./],
    [{ limit: '10' }, /limit/],
  ])('refuses %o with a clear error', (q, message) => {
    const parsed = UsageQuerySchema.safeParse(q);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => `${i.message} ${'keys' in i ? String(i.keys) : ''}`).join('; ')).toMatch(message);
  });
});

describe('usageReport', () => {
  it('sums everyone’s usage per day over the last 7 days by default, as OpenAI’s usage API pages it', async () => {
    const page = await usageReport(metrics, query(), NOW);
    expect(page).toMatchObject({ object: 'page', bucket_width: '1d', start_time: s(NOW - 7 * DAY), end_time: s(NOW), group_by: [] });
    expect(page.data.map((b) => [b.start_time, b.end_time])).toEqual([
      [s(DAY0 - DAY), s(DAY0)],
      [s(DAY0), s(DAY0 + DAY)],
    ]);
    expect(page.data[1]?.results).toEqual([{ object: 'usage.result', requests: 6, errors: 1, input_tokens: 100 * 3 + 1000 + 1, output_tokens: 20 * 3 + 10 + 1, cached_tokens: 64 * 3 + 1, cost_usd: expect.closeTo(0.002 * 2 + 0.5 + 0.25 + 0.001, 12) }]);
    expect(page.totals).toMatchObject({ requests: 7, errors: 1 });
  });

  it('groups by tenant, key, model and region, busiest group first', async () => {
    const page = await usageReport(metrics, query({ bucket_width: '1h', group_by: 'tenant,key_id,model,region' }), NOW);
    // The last 24 hours by default: yesterday's 23:00 too.
    expect(page.data.map((b) => s(b.start_time * 1000 - DAY0) / 3600)).toEqual([-1, 1, 3]);
    const [, one, three] = page.data;
    expect(one?.results.map((r) => [r.tenant, r.key_id, r.model, r.region, r.requests, r.errors])).toEqual([
      ['acme', 'key-a', 'llama', 'eu', 2, 1],
      ['acme', 'key-b', 'qwen', 'eu', 1, 0],
    ]);
    expect(three?.results.map((r) => [r.tenant, r.key_id, r.requests])).toEqual(
      expect.arrayContaining([
        ['acme', 'key-a', 1],
        ['acme', 'key-b', 1],
        ['globex', 'key-g', 1],
      ]),
    );
    expect(three?.results).toHaveLength(3);
  });

  it('filters by any group while grouping by another', async () => {
    const page = await usageReport(metrics, query({ bucket_width: '1d', group_by: 'key_id', tenant: 'acme' }), NOW);
    const today = page.data.find((b) => b.start_time === s(DAY0));
    expect(today?.results.map((r) => [r.key_id, r.requests])).toEqual([
      ['key-a', 3],
      ['key-b', 2],
    ]);
    expect((await usageReport(metrics, query({ region: 'us' }), NOW)).totals).toMatchObject({ requests: 1, cost_usd: 0.25 });
    expect((await usageReport(metrics, query({ model: 'none-such' }), NOW)).data).toEqual([]);
  });

  it('shows a client key its own key’s usage only, whatever it asks for', async () => {
    const own = await usageReport(metrics, query({ bucket_width: '1h', group_by: 'tenant,key_id' }), NOW, { key_id: 'key-b' });
    expect(new Set(own.data.flatMap((b) => b.results.map((r) => r.key_id)))).toEqual(new Set(['key-b']));
    expect(own.totals).toMatchObject({ requests: 2, input_tokens: 1001 });
    // The scope wins over a key_id in the query (the handler refuses that with a 403 first).
    const other = await usageReport(metrics, query({ key_id: 'key-g' }), NOW, { key_id: 'key-b' });
    expect(other.totals.requests).toBe(2);
  });

  it('reads the buckets that overlap [start_time, end_time): the end is exclusive', async () => {
    const q = (from: number, to: number) => usageReport(metrics, query({ bucket_width: '1h', start_time: String(s(from)), end_time: String(s(to)) }), NOW);
    expect((await q(DAY0 + 2 * HOUR, DAY0 + 3 * HOUR)).data).toEqual([]);
    expect((await q(DAY0 + 2 * HOUR, DAY0 + 3 * HOUR + 1000)).totals.requests).toBe(3);
    // A start inside a bucket still reads that bucket.
    expect((await q(DAY0 + HOUR + 30 * 60_000, DAY0 + 2 * HOUR)).totals.requests).toBe(3);
    const page = await q(DAY0, DAY0 + 6 * HOUR);
    expect(page).toMatchObject({ start_time: s(DAY0), end_time: s(DAY0 + 6 * HOUR) });
    expect(page.totals.requests).toBe(6);
  });

  it('ignores usage fields it does not know (a newer version’s metric), and keeps the rest', async () => {
    const store = new MemoryStore();
    const fresh = new Metrics({ store, flushMs: 60_000 });
    await store.incrementHashes([{ key: `switchyard:usage:1d:${DAY0}`, fields: { 'acme|key-a|llama|eu|reasoning': 50, 'acme|key-a|llama|eu|requests': 2, 'not a usage row': 1 } }]);
    const page = await usageReport(fresh, query({ group_by: 'tenant' }), NOW);
    expect(page.data[0]?.results).toEqual([{ object: 'usage.result', tenant: 'acme', requests: 2, errors: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 }]);
  });

  it('writes a part the request did not have (no key: a 401) as null', async () => {
    const fresh = new Metrics({ store: new MemoryStore(), flushMs: 60_000 });
    fresh.observe(servedRecord({ startedAt: NOW - 10, tenant: undefined, keyId: undefined, usage: undefined, cost: undefined }), 'chat', 401, errors.missingKey(), NOW - 5);
    const page = await usageReport(fresh, query({ group_by: 'tenant,key_id' }), NOW);
    expect(page.data[0]?.results).toEqual([{ object: 'usage.result', tenant: null, key_id: null, requests: 1, errors: 1, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 }]);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a start after the end', { start_time: String(s(NOW)), end_time: String(s(NOW - HOUR)) }, /start_time must be before end_time/],
    ['an empty range', { start_time: String(s(NOW)), end_time: String(s(NOW)) }, /start_time must be before end_time/],
    ['a start in the future (the end defaults to now)', { start_time: String(s(NOW + HOUR)) }, /start_time must be before end_time/],
    ['more than 744 hourly buckets', { bucket_width: '1h', start_time: String(s(NOW - 32 * DAY)) }, /at most 744 buckets of 1h/],
    ['more than 400 daily buckets', { start_time: '0' }, /at most 400 buckets of 1d/],
  ])('refuses %s', async (_, q, message) => {
    await expect(usageReport(metrics, query(q), NOW)).rejects.toThrow(UsageRangeError);
    await expect(usageReport(metrics, query(q), NOW)).rejects.toThrow(message);
  });

  it('accepts the longest ranges the buckets allow', async () => {
    await expect(usageReport(metrics, query({ bucket_width: '1h', start_time: String(s(DAY0 - 30 * DAY)), end_time: String(s(DAY0 + DAY)) }), NOW)).resolves.toMatchObject({ object: 'page' });
    await expect(usageReport(metrics, query({ start_time: String(s(DAY0 - 399 * DAY)), end_time: String(s(DAY0 + DAY)) }), NOW)).resolves.toMatchObject({ object: 'page' });
  });
});
