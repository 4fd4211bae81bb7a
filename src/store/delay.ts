/**
 * Resolves after `ms`, on a timer that does not keep a Node process alive on its own: batched
 * store writes wait on it (Workers keep the isolate alive for them through waitUntil).
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer: unknown = setTimeout(resolve, ms);
    (timer as { unref?: () => void }).unref?.();
  });
}
