/**
 * A small in-isolate LRU with a TTL per entry: what the hot path remembers of store records
 * (keys, tenants) so it does not ask the store on every request. `clear` drops everything,
 * e.g. when the policy version moves (src/auth/policy-version.ts).
 */
export class TtlMemo<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number; staleUntil: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  readonly #staleMs: number;
  /** The key last inserted or moved to the end of the Map (the most recently used one). */
  #newest: string | undefined;

  /**
   * `staleMs`: how long an entry past its TTL is still kept for `getStale` (for when the store
   * cannot be asked); 0 drops it at its TTL.
   */
  constructor(ttlMs: number, maxEntries: number, now: () => number, staleMs = 0) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
    this.#staleMs = staleMs;
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      if (entry.staleUntil <= now) this.#entries.delete(key);
      return undefined;
    }
    // Re-insert: Map order is the recency order. The most recent entry is already last (a hot
    // key asked again and again), and moving it would cost a delete and an insert for nothing.
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, entry);
      this.#newest = key;
    }
    return entry.value;
  }

  /** The value even past its TTL, while within the stale window (never past a `notAfter`). */
  getStale(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.staleUntil <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers `value` for the TTL, or until `notAfter` (ms since the epoch) if that is sooner. */
  set(key: string, value: V, notAfter = Number.POSITIVE_INFINITY): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return;
    this.#entries.delete(key);
    const now = this.#now();
    this.#entries.set(key, { value, expiresAt: Math.min(now + this.#ttlMs, notAfter), staleUntil: Math.min(now + this.#ttlMs + this.#staleMs, notAfter) });
    this.#newest = key;
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#newest = undefined;
  }
}
