import type { Context } from 'hono';

/**
 * Runs work after the response without holding it up: `waitUntil` on Workers (keeps the
 * isolate alive for it), a detached promise elsewhere. Failures are logged, never thrown.
 */
export function defer(c: Context, work: () => Promise<unknown>): void {
  const task = work().catch((error: unknown) => console.error('deferred work failed', error));
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined; // not on Workers: nothing needs to keep the process alive
  }
  ctx?.waitUntil(task);
}
