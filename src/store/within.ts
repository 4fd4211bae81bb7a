/** What `within` answers when the work did not finish in time (the work itself goes on). */
export const LATE: unique symbol = Symbol('late');

/** The work's result, or LATE after `ms`; a rejection passes through. Clears its timer either way. */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof LATE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), ms)));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
