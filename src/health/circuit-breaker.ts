import type { BreakerState } from '../route/endpoint-view.ts';
import { SlidingWindow } from './sliding-window.ts';

export type Outcome = 'success' | 'failure';

export interface BreakerOptions {
  /** Opens after this many failures in a row. */
  consecutiveFailures: number;
  /** Opens when failures / requests over the window reach this (0..1]... */
  errorRatio: number;
  /** ...once the window holds at least this many requests. */
  minRequests: number;
  windowMs: number;
  /** Buckets the window is counted in. */
  buckets: number;
  /** First wait before a probe request; doubles on each re-open, back to this on close. */
  cooldownMs: number;
  maxCooldownMs: number;
  /**
   * A half-open probe whose outcome is never recorded (the caller lost it) stops blocking
   * after this long, and another probe is let through.
   */
  probeLeaseMs: number;
}

export const BREAKER_DEFAULTS: Readonly<BreakerOptions> = {
  consecutiveFailures: 5,
  errorRatio: 0.5,
  minRequests: 10,
  windowMs: 10_000,
  buckets: 10,
  cooldownMs: 5_000,
  maxCooldownMs: 60_000,
  probeLeaseMs: 30_000,
};

interface Breaker {
  /** Half-open is not stored: it is `open` once `retryAt` has passed. */
  open: boolean;
  consecutive: number;
  /**
   * Bodies that failed after their first byte (a stream cut or stalled) since the last body that
   * arrived whole. Answers read inside the attempt (non-streaming ones) do not reset it: an
   * endpoint that cuts every stream while its other answers are whole must still leave rotation.
   * Outlives opening and closing, so once it has tripped, the next cut trips it again at once.
   */
  bodyFailures: number;
  readonly window: SlidingWindow;
  retryAt: number;
  cooldownMs: number;
  /** When the half-open probe was let through; undefined when none is out. */
  probeSince: number | undefined;
}

/**
 * Passive outlier detection on live traffic, one breaker per endpoint of the fleet (ids
 * outside it are always closed and never recorded, so memory stays bounded). The caller
 * decides what a failure is. Pure state over an injected clock: no timers.
 *
 *   closed --(N failures in a row, N bodies cut in a row, or error ratio over the window)--> open
 *   open --(cooldown passed)--> half-open: allow() lets ONE probe through
 *   half-open --success--> closed (cooldown reset) | --failure--> open (cooldown doubled, capped)
 *
 * While the probe is out, state() says `open`: `half-open` means a probe slot is free.
 */
export class CircuitBreakers {
  readonly #options: BreakerOptions;
  readonly #breakers = new Map<string, Breaker>();

  constructor(endpointIds: Iterable<string>, options: Partial<BreakerOptions> = {}) {
    this.#options = checked({ ...BREAKER_DEFAULTS, ...options });
    for (const id of endpointIds) {
      this.#breakers.set(id, {
        open: false,
        consecutive: 0,
        bodyFailures: 0,
        window: new SlidingWindow(this.#options.windowMs, this.#options.buckets),
        retryAt: 0,
        cooldownMs: this.#options.cooldownMs,
        probeSince: undefined,
      });
    }
  }

  state(id: string, now: number): BreakerState {
    const b = this.#breakers.get(id);
    if (b === undefined || !b.open) return 'closed';
    if (now < b.retryAt) return 'open';
    return this.#probeOut(b, now) ? 'open' : 'half-open';
  }

  /** When a request may next go to an open endpoint (epoch ms): its cooldown's end, or its probe's lease end; 0 when closed. */
  retryAt(id: string, now: number): number {
    const b = this.#breakers.get(id);
    if (b === undefined || !b.open) return 0;
    if (now < b.retryAt) return b.retryAt;
    return b.probeSince !== undefined && this.#probeOut(b, now) ? b.probeSince + this.#options.probeLeaseMs : now;
  }

  /** May a request go to this endpoint now? In half-open, true for exactly one caller. */
  allow(id: string, now: number): boolean {
    const b = this.#breakers.get(id);
    if (b === undefined || !b.open) return true;
    if (now < b.retryAt || this.#probeOut(b, now)) return false;
    b.probeSince = now;
    return true;
  }

  /** `body`: the outcome is how a body relayed after the response headers ended (a stream), not the answer as a whole. */
  record(id: string, outcome: Outcome, now: number, body = false): void {
    const b = this.#breakers.get(id);
    if (b === undefined) return;
    const failed = outcome === 'failure';
    if (body) b.bodyFailures = failed ? b.bodyFailures + 1 : 0;
    if (b.open) {
      // Outcomes of requests sent before it opened say nothing new while it cools down.
      if (now < b.retryAt) return;
      if (failed) this.#open(b, now, Math.min(b.cooldownMs * 2, this.#options.maxCooldownMs));
      else this.#close(b);
      return;
    }
    b.window.add(failed, now);
    b.consecutive = failed ? b.consecutive + 1 : 0;
    if (failed && this.#trips(b, now)) this.#open(b, now, this.#options.cooldownMs);
  }

  #trips(b: Breaker, now: number): boolean {
    if (b.consecutive >= this.#options.consecutiveFailures || b.bodyFailures >= this.#options.consecutiveFailures) return true;
    const { requests, failures } = b.window.totals(now);
    return requests >= this.#options.minRequests && failures / requests >= this.#options.errorRatio;
  }

  #probeOut(b: Breaker, now: number): boolean {
    return b.probeSince !== undefined && now - b.probeSince < this.#options.probeLeaseMs;
  }

  #open(b: Breaker, now: number, cooldownMs: number): void {
    b.open = true;
    b.cooldownMs = cooldownMs;
    b.retryAt = now + cooldownMs;
    b.probeSince = undefined;
    b.consecutive = 0;
    b.window.clear();
  }

  #close(b: Breaker): void {
    b.open = false;
    b.cooldownMs = this.#options.cooldownMs;
    b.probeSince = undefined;
    b.consecutive = 0;
    b.window.clear(); // the failures that opened it are history
  }
}

function checked(o: BreakerOptions): BreakerOptions {
  const positive = (name: keyof BreakerOptions) => {
    if (!(o[name] > 0) || !Number.isFinite(o[name])) throw new RangeError(`breaker ${name} must be a positive number, got ${o[name]}`);
  };
  for (const name of ['consecutiveFailures', 'minRequests', 'windowMs', 'buckets', 'cooldownMs', 'maxCooldownMs', 'probeLeaseMs'] as const) positive(name);
  if (!(o.errorRatio > 0 && o.errorRatio <= 1)) throw new RangeError(`breaker errorRatio must be in (0, 1], got ${o.errorRatio}`);
  if (o.maxCooldownMs < o.cooldownMs) throw new RangeError('breaker maxCooldownMs must be >= cooldownMs');
  return o;
}
