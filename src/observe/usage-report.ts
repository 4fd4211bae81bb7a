import * as z from '../zod-mini.ts';
import { USAGE_METRICS, type UsageMetric } from './metrics/request-tally.ts';
import { BUCKET_MS, type Metrics } from './metrics/metrics.ts';

export const GROUP_BY = ['tenant', 'key_id', 'model', 'region'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

/** Longest range per bucket width: about a month of hours, about a year of days. */
const MAX_BUCKETS = { '1h': 24 * 31, '1d': 400 } as const;

const seconds = z.optional(z.coerce.number().check(z.int(), z.nonnegative()));
const filter = z.optional(z.string().check(z.minLength(1)));
const groupNames = (s: string | undefined) => (s ?? '').split(',').map((p) => p.trim()).filter((p) => p !== '');

/** GET /v1/usage's query, OpenAI's usage API names (start_time, end_time, bucket_width, group_by). */
export const UsageQuerySchema = z.strictObject({
  start_time: seconds,
  end_time: seconds,
  bucket_width: z._default(z.enum(['1h', '1d']), '1d'),
  group_by: z.pipe(
    z.optional(z.string()).check(
      z.superRefine((s, ctx) => {
        const bad = groupNames(s).filter((p) => !(GROUP_BY as readonly string[]).includes(p));
        if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `unknown group_by ${bad.join(', ')}; expected some of ${GROUP_BY.join(', ')}`, input: s });
      }),
    ),
    z.transform((s) => groupNames(s) as GroupBy[]),
  ),
  tenant: filter,
  key_id: filter,
  model: filter,
  region: filter,
});
export type UsageQuery = z.infer<typeof UsageQuerySchema>;

export interface UsageResult {
  object: 'usage.result';
  /** Each grouped part; null when the requests had none (no key: a 401). */
  tenant?: string | null;
  key_id?: string | null;
  model?: string | null;
  region?: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
}

export interface UsagePage {
  object: 'page';
  bucket_width: '1h' | '1d';
  start_time: number;
  end_time: number;
  group_by: GroupBy[];
  data: { object: 'bucket'; start_time: number; end_time: number; results: UsageResult[] }[];
  totals: Omit<UsageResult, 'object' | GroupBy>;
}

const COLUMN: Record<UsageMetric, keyof Omit<UsageResult, 'object' | GroupBy>> = {
  requests: 'requests',
  errors: 'errors',
  input: 'input_tokens',
  output: 'output_tokens',
  cached: 'cached_tokens',
  cost: 'cost_usd',
};

const emptyCounts = () => ({ requests: 0, errors: 0, input_tokens: 0, output_tokens: 0, cached_tokens: 0, cost_usd: 0 });

export class UsageRangeError extends Error {}

/**
 * Usage rows summed per bucket and per group, over `[start_time, end_time)`. `scope` narrows to
 * what the caller may see (a client key: its own id).
 */
export async function usageReport(metrics: Metrics, query: UsageQuery, now: number, scope: { key_id?: string } = {}): Promise<UsagePage> {
  const width = query.bucket_width;
  const step = BUCKET_MS[width];
  const end = query.end_time === undefined ? now : query.end_time * 1000;
  const start = query.start_time === undefined ? end - (width === '1h' ? 24 * 3_600_000 : 7 * 86_400_000) : query.start_time * 1000;
  if (start >= end) throw new UsageRangeError('start_time must be before end_time');
  const buckets = Math.ceil((end - Math.floor(start / step) * step) / step);
  if (buckets > MAX_BUCKETS[width]) throw new UsageRangeError(`at most ${MAX_BUCKETS[width]} buckets of ${width}: narrow the range or use a wider bucket_width`);

  const filters: Partial<Record<GroupBy, string>> = { ...pick(query), ...scope };
  const rows = await metrics.usage(width, start, end - 1);
  const totals = emptyCounts();
  const data: UsagePage['data'] = [];
  for (const [t, fields] of [...rows].sort(([a], [b]) => a - b)) {
    const groups = new Map<string, UsageResult>();
    for (const [field, n] of fields) {
      const [tenant, keyId, model, region, metric] = field.split('|');
      const parts: Record<GroupBy, string | undefined> = { tenant, key_id: keyId, model, region };
      if (!(USAGE_METRICS as readonly string[]).includes(metric ?? '')) continue;
      if (Object.entries(filters).some(([k, v]) => parts[k as GroupBy] !== v)) continue;
      const id = query.group_by.map((g) => parts[g]).join('|');
      let result = groups.get(id);
      if (!result) {
        result = { object: 'usage.result', ...Object.fromEntries(query.group_by.map((g) => [g, parts[g] === '-' ? null : parts[g]])), ...emptyCounts() };
        groups.set(id, result);
      }
      const column = COLUMN[metric as UsageMetric];
      result[column] += n;
      totals[column] += n;
    }
    if (groups.size > 0) data.push({ object: 'bucket', start_time: t / 1000, end_time: (t + step) / 1000, results: [...groups.values()].sort((a, b) => b.requests - a.requests) });
  }
  return { object: 'page', bucket_width: width, start_time: Math.floor(start / 1000), end_time: Math.floor(end / 1000), group_by: query.group_by, data, totals };
}

function pick(q: UsageQuery): Partial<Record<GroupBy, string>> {
  const out: Partial<Record<GroupBy, string>> = {};
  for (const g of GROUP_BY) if (q[g] !== undefined) out[g] = q[g];
  return out;
}
