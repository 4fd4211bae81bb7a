import type { Store } from '../store/store.ts';
import { within } from '../store/within.ts';

/** One string in the store, rewritten by every change to a key or tenant record. */
export const POLICY_VERSION_KEY = 'switchyard:policy:version';
/** How often an instance looks at the stamp: a change reaches every instance within this (+ one read). */
export const DEFAULT_POLICY_CHECK_MS = 1_000;

export interface PolicyVersionOptions {
  /** At most one store read per this many ms; 0 reads on every `refresh`. */
  checkEveryMs?: number;
  /** The longest a request waits for a check (default 100 ms); past it, it goes on with what it knows. */
  maxWaitMs?: number;
  /**
   * A check still pending after this long is abandoned and another may start: on Workers a
   * promise tied to a finished request can stay pending forever (default 10 s).
   */
  abandonAfterMs?: number;
  now?: () => number;
}

/**
 * How every instance learns that keys or tenants changed without reading them per request:
 * writers bump a version stamp, readers look at it at most once a `checkEveryMs` and, when it
 * moved, drop what they memoized (`onChange` listeners). Between checks the hot path costs
 * nothing. The request that finds a check due waits for its one GET, but never longer than
 * `maxWaitMs` from when the check started (requests arriving meanwhile share it), so a slow or
 * unreachable store costs at most that, once per interval; memo TTLs then bound how stale a
 * view can get.
 */
export class PolicyVersion {
  readonly #store: Store;
  readonly #checkEveryMs: number;
  readonly #maxWaitMs: number;
  readonly #abandonAfterMs: number;
  readonly #now: () => number;
  readonly #listeners: (() => void)[] = [];
  #seen: string | null | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: { promise: Promise<void>; startedAt: number } | undefined;
  /** Tags each check, so an abandoned one that settles late cannot overwrite a newer answer. */
  #generation = 0;

  constructor(store: Store, options: PolicyVersionOptions = {}) {
    this.#store = store;
    this.#checkEveryMs = options.checkEveryMs ?? DEFAULT_POLICY_CHECK_MS;
    this.#maxWaitMs = options.maxWaitMs ?? 100;
    this.#abandonAfterMs = options.abandonAfterMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Runs `listener` whenever the stamp is seen to move (or this instance bumps it). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Undefined when there is nothing to wait for; otherwise a (bounded) wait for the current check. */
  refresh(): Promise<void> | undefined {
    const now = this.#now();
    let inflight = this.#inflight;
    if (inflight !== undefined && now - inflight.startedAt >= this.#abandonAfterMs) inflight = this.#inflight = undefined;
    if (inflight === undefined) {
      if (now - this.#checkedAt < this.#checkEveryMs) return undefined;
      inflight = { promise: this.#check(now, ++this.#generation), startedAt: now };
      this.#inflight = inflight;
    }
    const left = inflight.startedAt + this.#maxWaitMs - now;
    return left > 0 ? within(inflight.promise, left).then(() => undefined) : undefined;
  }

  /** After a write: every instance (this one at once) drops what it memoized. */
  async bump(): Promise<void> {
    const stamp = `${this.#now().toString(36)}-${crypto.randomUUID()}`;
    await this.#store.set(POLICY_VERSION_KEY, stamp);
    this.#generation += 1; // a check in flight may have read the previous stamp
    this.#seen = stamp;
    this.#notify();
  }

  async #check(startedAt: number, generation: number): Promise<void> {
    try {
      const stamp = await this.#store.get(POLICY_VERSION_KEY);
      if (generation !== this.#generation) return;
      if (this.#seen !== undefined && stamp !== this.#seen) this.#notify();
      this.#seen = stamp;
    } catch (error) {
      console.error(JSON.stringify({ event: 'policy_version_check_failed', error: String(error) }));
    } finally {
      if (generation === this.#generation || this.#inflight?.startedAt === startedAt) {
        this.#checkedAt = Math.max(this.#checkedAt, startedAt);
        this.#inflight = undefined;
      }
    }
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
