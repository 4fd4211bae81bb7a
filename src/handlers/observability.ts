import type { Context } from 'hono';
import { errors, GatewayError } from '../api/errors.ts';
import type { AppEnv } from '../app-env.ts';
import type { Gateway } from '../gateway.ts';
import { endpointGauges, EXPOSITION_CONTENT_TYPE, renderTotals } from '../observe/metrics/exposition.ts';
import type { Metrics } from '../observe/metrics/metrics.ts';
import { dashboardStats } from '../observe/stats.ts';
import { UsageQuerySchema, usageReport, UsageRangeError } from '../observe/usage-report.ts';

const meteringOff = () => new GatewayError(404, 'Metering is off on this gateway.', { code: 'metering_disabled' });

function metricsOf(gw: Gateway): Metrics {
  if (!gw.metrics) throw meteringOff();
  return gw.metrics;
}

/** The prober's snapshot, read fresh from the store (an operator's page can wait for it). */
async function snapshotOf(gw: Gateway) {
  await gw.health?.refresh();
  return gw.health?.current();
}

/**
 * GET /metrics (admin key): Prometheus text. Counters and histograms are the sum over every
 * instance (the store's totals plus what this one has not written yet); gauges are the
 * prober's latest readings and this instance's routing state.
 */
export const prometheusMetrics = (gw: Gateway) =>
  async function prometheusMetrics(c: Context<AppEnv>): Promise<Response> {
    const now = gw.now();
    const [totals, snapshot] = await Promise.all([metricsOf(gw).totals(), snapshotOf(gw)]);
    return c.body(renderTotals(totals, endpointGauges(gw, snapshot, now)), 200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' });
  };

/** GET /admin/stats?minutes=N (admin key): the dashboard's numbers, the last N minutes (default 30, at most 360). */
export const dashboardData = (gw: Gateway) =>
  async function dashboardData(c: Context<AppEnv>): Promise<Response> {
    const raw = c.req.query('minutes');
    const minutes = raw === undefined ? 30 : Number(raw);
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 360) throw errors.invalidRequest('minutes must be a whole number from 1 to 360', 'minutes');
    const now = gw.now();
    const from = now - (minutes - 1) * 60_000;
    const [buckets, snapshot] = await Promise.all([metricsOf(gw).minutes(from, now), snapshotOf(gw)]);
    return c.json(dashboardStats(gw, buckets, snapshot, now), 200, { 'cache-control': 'no-store' });
  };

/**
 * GET /v1/usage: tokens, requests and cost per bucket and group (OpenAI's usage API names:
 * start_time, end_time, bucket_width 1h|1d, group_by tenant,key_id,model,region). A client
 * key sees its own usage only; an admin key sees everyone's and may filter by any group.
 */
export const usage = (gw: Gateway) =>
  async function usage(c: Context<AppEnv>): Promise<Response> {
    const key = c.get('key');
    const parsed = UsageQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.map(String).join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : null);
      throw errors.invalidRequest(issue ? `${param ? `${param}: ` : ''}${issue.message}` : 'invalid query', param);
    }
    const query = parsed.data;
    const admin = key.role === 'admin';
    if (!admin && ((query.tenant !== undefined && query.tenant !== key.tenant) || (query.key_id !== undefined && query.key_id !== key.id))) {
      throw new GatewayError(403, 'A client key sees its own usage only; filtering by another tenant or key needs an admin key.', { code: 'permission_denied' });
    }
    try {
      return c.json(await usageReport(metricsOf(gw), query, gw.now(), admin ? {} : { key_id: key.id }), 200, { 'cache-control': 'no-store' });
    } catch (error) {
      if (error instanceof UsageRangeError) throw errors.invalidRequest(error.message, 'start_time');
      throw error;
    }
  };
