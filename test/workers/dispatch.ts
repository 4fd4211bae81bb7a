// Running requests through the Worker as workerd would, for the workerd tests.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env as bindings } from 'cloudflare:workers';
import { inject } from 'vitest';
import { createWorker, type Env } from '../../workers/gateway.ts';

type Worker = ReturnType<typeof createWorker>;

/** The Worker's env in tests: its bindings, each region's upstream secret, the test keys (hashes), no request log. */
export function testEnv(extra: Partial<Env> = {}): Env {
  return { ...(bindings as Env), ...inject('secrets'), SWITCHYARD_KEYS: JSON.stringify(inject('keys').records), SWITCHYARD_LOG_REQUESTS: 'false', ...extra };
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
