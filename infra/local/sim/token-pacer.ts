// Releases a request's output tokens on the latency model's schedule. Due times accumulate from
// the start, so timer lateness never adds up; a token whose wait is under a millisecond goes out
// at once (a timer cannot wait less). With all delays 0 no timer is ever set: the whole run
// completes synchronously inside `paceTokens`.

export interface PaceOptions {
  /** Output tokens to release (at least 1). */
  readonly count: number;
  /** Wait before token `index`, asked at the moment it is scheduled (the load may have changed). */
  delayMs(index: number): number;
  /** Releases token `index`; false stops pacing there (`done` is then not called). */
  emit(index: number): boolean;
  /** Called before waiting on a timer: the end of a synchronous burst of tokens. */
  flush(): void;
  /** After the last token; output of the final burst is still unflushed. */
  done(): void;
  /** Monotonic milliseconds. */
  now(): number;
}

export interface Pacing {
  /** Stops releasing tokens; `done` will not be called. */
  cancel(): void;
}

export function paceTokens(o: PaceOptions): Pacing {
  let index = 0;
  let due = o.now();
  let dueSet = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let cancelled = false;

  const run = (): void => {
    timer = undefined;
    while (!cancelled && index < o.count) {
      if (!dueSet) {
        due += o.delayMs(index);
        dueSet = true;
      }
      const wait = due - o.now();
      if (wait >= 1) {
        o.flush();
        timer = setTimeout(run, wait);
        return;
      }
      dueSet = false;
      if (!o.emit(index)) {
        cancelled = true;
        return;
      }
      index += 1;
    }
    if (!cancelled) o.done();
  };
  run();

  return {
    cancel(): void {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
