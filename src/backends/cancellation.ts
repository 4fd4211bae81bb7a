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
}

export class CancelScope implements Cancellation {
  #reason: CancelReason | undefined;
  #callbacks: (() => void)[] = [];

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
