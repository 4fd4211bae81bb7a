import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { afterResponse } from '../after-response.ts';
import { defer } from '../handlers/defer.ts';
import type { Gateway } from '../gateway.ts';
import { meterRequest } from '../meter/meter-request.ts';
import { operationOf } from './metrics/operation.ts';
import { logLine, newRecord } from './request-record.ts';
import { traceContext } from './trace-context.ts';

/**
 * Opens the request's record (its trace context joined or started) before anything else runs,
 * and writes exactly one log line once the answer is complete, whatever its status: auth
 * failures, bad input, unknown routes, the gateway's refusals and upstream failures included.
 * The line waits for a streamed body to end, off the hot path (`waitUntil`); then an API
 * request's usage and cost are settled and its metrics recorded (src/meter/, metrics/).
 */
export const recordRequests = (gw: Pick<Gateway, 'log' | 'metrics' | 'now' | 'regions' | 'models'>) =>
  createMiddleware<AppEnv>(async function recordRequests(c, next) {
    const { log, metrics, now } = gw;
    // tracestate counts only beside a traceparent: most requests carry neither, and each header read costs.
    const headers = c.req.raw.headers;
    const traceparent = headers.get('traceparent');
    const trace = traceparent === null ? traceContext(undefined, undefined) : traceContext(traceparent, headers.get('tracestate') ?? undefined);
    const record = newRecord(c.get('requestId'), c.req.method, c.req.path, now(), trace);
    c.set('record', record);
    await next();
    // Set by bearer auth when the key was good (unset for a 401).
    const key = c.get('key') as AppEnv['Variables']['key'] | undefined;
    if (key) {
      record.tenant = key.tenant;
      record.keyId = key.id;
    }
    // API requests are metered (usage, cost, metrics); the gateway's own routes are only logged.
    const operation = operationOf(record.path);
    if (!log && !(metrics && operation) && !record.settle) return;
    const status = c.res.status;
    const error = c.error;
    const finish = (): Promise<unknown> | undefined => {
      const endedAt = now();
      if (operation) meterRequest(record, gw, endedAt);
      // The limiter's estimate gives way to what was metered: real tokens, and the cost budgets count.
      const settled = record.settle?.({ tokens: (record.usage?.input ?? 0) + (record.usage?.output ?? 0), costUsd: record.cost?.usd ?? 0 });
      log?.(logLine(record, status, endedAt, error));
      const write = metrics && operation ? metrics.observe(record, operation, status, error, endedAt) : undefined;
      // Keeps the instance alive until the writes are done (waitUntil); most requests have none to wait for.
      return settled === undefined ? write : write === undefined ? settled : Promise.all([settled, write]);
    };
    // A stream is done when its body ends; a whole answer once it has left (a macrotask later).
    defer(c, () => (record.ended ?? afterResponse()).then(finish));
  });
