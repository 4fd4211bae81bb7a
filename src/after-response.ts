type Schedule = (callback: () => void) => unknown;

// Node's setImmediate runs right after the I/O callback that wrote the answer, before the next
// request's I/O is read; elsewhere a zero timer is the nearest macrotask.
const nextTurn: Schedule = (globalThis as { setImmediate?: Schedule }).setImmediate?.bind(globalThis) ?? ((callback) => setTimeout(callback, 0));

/**
 * Resolves a macrotask later: past the microtasks that hand the response to the runtime, so
 * deferred work with nothing else to wait for does not run before the answer leaves.
 */
export const afterResponse = (): Promise<void> => new Promise<void>((resolve) => nextTurn(resolve));
