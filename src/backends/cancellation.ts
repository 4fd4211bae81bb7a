/**
 * Cancelling an upstream exchange, without EventTarget. AbortController/AbortSignal cost tens of
 * microseconds a request on Node (listener bookkeeping in undici and in the signal itself); this
 * is a flag and a short callback list. Transports adapt it: Workers' fetch links it to an
 * AbortController, undici takes its EventEmitter shape.
 */
export type CancelReason = 'client' | 'deadline' | 'probe-timeout';

export interface Cancellation {
  readonly cancelled: boolean;
  readonly reason: CancelReason | undefined;
  /** Runs `callback` once when cancelled (at once if it already is); returns an unregister function. */
  onCancel(callback: () => void): () => void;
  /**
   * Runs `callback` after `ms` unless disarmed first (the returned function), on the scope's one
   * timer (see CancelScope). A transport without it keeps its own timer.
   */
  alarm?(ms: number, callback: () => void): () => void;
}

interface Alarm {
  at: number;
  callback: () => void;
}

/**
 * The exchange's cancellation, and its one platform timer: the total deadline (`expireAfter`) and
 * each attempt's headers timeout (`alarm`) share it. A platform timer costs on every request
 * (in workerd a setTimeout and a clearTimeout are native calls of several µs each, about 30 µs
 * a request for the two pairs an exchange used to arm), so the timer is armed once, at the
 * earliest time anything is due, in a microtask after the scope is set up (the first attempt's
 * alarm is registered by then); a disarmed alarm leaves the timer as it is, and a timer that
 * fires with nothing due re-arms for what is left. `dispose` clears it.
 */
export class CancelScope implements Cancellation {
  #reason: CancelReason | undefined;
  #callbacks: (() => void)[] = [];
  #deadlineAt = Number.POSITIVE_INFINITY;
  #alarms: Alarm[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (infinity: none armed). */
  #timerAt = Number.POSITIVE_INFINITY;
  #armQueued = false;

  get cancelled(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): CancelReason | undefined {
    return this.#reason;
  }

  /** The first reason wins; later calls do nothing. */
  cancel(reason: CancelReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const callbacks = this.#callbacks;
    this.#callbacks = [];
    for (const callback of callbacks) {
      try {
        callback();
      } catch (error) {
        console.error('cancel callback failed', error);
      }
    }
  }

  /** Cancels with 'deadline' `ms` from now (unless cancelled or disposed before). */
  expireAfter(ms: number): void {
    this.#deadlineAt = Date.now() + ms;
    this.#queueArm();
  }

  alarm(ms: number, callback: () => void): () => void {
    const alarm: Alarm = { at: Date.now() + ms, callback };
    this.#alarms.push(alarm);
    this.#queueArm();
    return () => {
      const i = this.#alarms.indexOf(alarm);
      if (i >= 0) this.#alarms.splice(i, 1);
      if (this.#alarms.length === 0 && this.#deadlineAt === Number.POSITIVE_INFINITY) this.#clearTimer();
    };
  }

  /** The exchange is over: no deadline, no alarms, no timer. */
  dispose(): void {
    this.#deadlineAt = Number.POSITIVE_INFINITY;
    this.#alarms = [];
    this.#clearTimer();
  }

  #queueArm(): void {
    // Armed already (a failover attempt's alarm, say): re-armed at once only if due earlier.
    if (this.#timer !== undefined) return this.#arm();
    if (this.#armQueued) return;
    this.#armQueued = true;
    queueMicrotask(() => {
      this.#armQueued = false;
      this.#arm();
    });
  }

  #arm(): void {
    let next = this.#reason === undefined ? this.#deadlineAt : Number.POSITIVE_INFINITY;
    for (const alarm of this.#alarms) if (alarm.at < next) next = alarm.at;
    if (next >= this.#timerAt || next === Number.POSITIVE_INFINITY) return;
    this.#clearTimer();
    this.#timerAt = next;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, next - Date.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    const due = this.#alarms.filter((a) => a.at <= now);
    if (due.length > 0) this.#alarms = this.#alarms.filter((a) => a.at > now);
    for (const alarm of due) alarm.callback();
    if (this.#deadlineAt <= now) this.cancel('deadline');
    this.#arm();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  onCancel(callback: () => void): () => void {
    if (this.#reason !== undefined) {
      callback();
      return () => {};
    }
    this.#callbacks.push(callback);
    return () => {
      const i = this.#callbacks.indexOf(callback);
      if (i >= 0) this.#callbacks.splice(i, 1);
    };
  }
}
