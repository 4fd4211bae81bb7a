// Running requests through the Worker as workerd would, for the workerd tests.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { inject } from 'vitest';
import { createWorker, type Env } from '../../workers/gateway.ts';

export type Worker = ReturnType<typeof createWorker>;

/**
 * The Worker's env in tests: its bindings, each region's upstream secret, the test keys (hashes),
 * no request log, metrics written at once (a request's deferred work would otherwise include
 * waiting out the 2 s batching window, and every test would pay it).
 */
export function testEnv(extra: Partial<Env> = {}): Env {
  return { ...(bindings as Env), ...inject('secrets'), SWITCHYARD_KEYS: JSON.stringify(inject('keys').records), SWITCHYARD_LOG_REQUESTS: 'false', SWITCHYARD_METRICS_FLUSH_MS: '0', ...extra };
}

/**
 * One request through `worker.fetch` with a fresh execution context. `settled()` waits for its
 * deferred work (waitUntil); call it after reading the body when that work waits for the body
 * (a cache fill waits for the stream to end).
 */
export async function dispatch(worker: Worker, request: Request, env: Env): Promise<{ response: Response; settled(): Promise<void> }> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
  return { response, settled: () => waitOnExecutionContext(ctx) };
}

/**
 * One request, read to its end, then its deferred work awaited: the tests that look at an answer
 * as a whole. The body is read first because deferred work (metering, logging) waits for a
 * stream to end, and a stream only ends once it is read.
 */
export async function dispatchRead(worker: Worker, request: Request, env: Env): Promise<Response> {
  const { response, settled } = await dispatch(worker, request, env);
  const body = response.body ? await response.arrayBuffer() : null;
  await settled();
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}
