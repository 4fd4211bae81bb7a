import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../app-env.ts';
import { defer } from '../handlers/defer.ts';
import type { RequestLog } from './request-log.ts';
import { logLine, newRecord } from './request-record.ts';
import { traceContext } from './trace-context.ts';

/**
 * Opens the request's record (its trace context joined or started) before anything else runs,
 * and writes exactly one log line once the answer is complete, whatever its status: auth
 * failures, bad input, unknown routes, the gateway's refusals and upstream failures included.
 * The line waits for a streamed body to end, off the hot path (`waitUntil`).
 */
export const recordRequests = (log: ((line: RequestLog) => void) | undefined, now: () => number) =>
  createMiddleware<AppEnv>(async function recordRequests(c, next) {
    const record = newRecord(c.get('requestId'), c.req.method, c.req.path, now(), traceContext(c.req.header('traceparent'), c.req.header('tracestate')));
    c.set('record', record);
    await next();
    // Set by bearer auth when the key was good (unset for a 401).
    const key = c.get('key') as AppEnv['Variables']['key'] | undefined;
    if (key) {
      record.tenant = key.tenant;
      record.keyId = key.id;
    }
    if (!log) return;
    const status = c.res.status;
    const error = c.error;
    defer(c, async () => {
      if (record.ended) await record.ended;
      log(logLine(record, status, now(), error));
    });
  });
