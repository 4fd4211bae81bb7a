/**
 * Resolves a macrotask later: past the microtasks that hand the response to the runtime, so
 * deferred work with nothing else to wait for does not run before the answer leaves.
 */
export const afterResponse = (): Promise<void> => new Promise<void>((resolve) => setTimeout(resolve, 0));
