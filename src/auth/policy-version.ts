import type { Store } from '../store/store.ts';

/** One string in the store, rewritten by every change to a key or tenant record. */
export const POLICY_VERSION_KEY = 'switchyard:policy:version';
/** How often an instance looks at the stamp: a change reaches every instance within this (+ one read). */
export const DEFAULT_POLICY_CHECK_MS = 1_000;

export interface PolicyVersionOptions {
  /** At most one store read per this many ms; 0 reads on every `refresh`. */
  checkEveryMs?: number;
  now?: () => number;
}

/**
 * How every instance learns that keys or tenants changed without reading them per request:
 * writers bump a version stamp, readers look at it at most once a `checkEveryMs` and, when it
 * moved, drop what they memoized (`onChange` listeners). Between checks the hot path costs
 * nothing; the request that finds the check due waits for one GET, and requests arriving
 * meanwhile wait for the same GET (single flight). A store that cannot be read is retried
 * after the interval; memo TTLs still bound how stale a view can get.
 */
export class PolicyVersion {
  readonly #store: Store;
  readonly #checkEveryMs: number;
  readonly #now: () => number;
  readonly #listeners: (() => void)[] = [];
  #seen: string | null | undefined;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;

  constructor(store: Store, options: PolicyVersionOptions = {}) {
    this.#store = store;
    this.#checkEveryMs = options.checkEveryMs ?? DEFAULT_POLICY_CHECK_MS;
    this.#now = options.now ?? Date.now;
  }

  /** Runs `listener` whenever the stamp is seen to move (or this instance bumps it). */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Undefined while the last check is recent enough; otherwise the (shared) check to await. */
  refresh(): Promise<void> | undefined {
    if (this.#inflight !== undefined) return this.#inflight;
    const now = this.#now();
    if (now - this.#checkedAt < this.#checkEveryMs) return undefined;
    this.#inflight = this.#check(now).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  /** After a write: every instance (this one at once) drops what it memoized. */
  async bump(): Promise<void> {
    const stamp = `${this.#now().toString(36)}-${crypto.randomUUID()}`;
    await this.#store.set(POLICY_VERSION_KEY, stamp);
    this.#seen = stamp;
    this.#notify();
  }

  async #check(startedAt: number): Promise<void> {
    try {
      const stamp = await this.#store.get(POLICY_VERSION_KEY);
      if (this.#seen !== undefined && stamp !== this.#seen) this.#notify();
      this.#seen = stamp;
    } catch (error) {
      console.error(JSON.stringify({ event: 'policy_version_check_failed', error: String(error) }));
    } finally {
      this.#checkedAt = startedAt;
    }
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
