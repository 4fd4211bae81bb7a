import type { KeyRecord } from './key-record.ts';

/**
 * A small in-isolate LRU of key records by hash, so the hot path does not ask the store on
 * every request. Only records the store returned are kept (never misses: a key created a
 * moment ago elsewhere must work at once, and random guesses must not evict real keys).
 * An entry lives `ttlMs`; a key revoked elsewhere keeps working here for up to that long.
 */
export class KeyMemo {
  readonly #entries = new Map<string, { record: KeyRecord; expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(ttlMs: number, maxEntries: number, now: () => number) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
    this.#now = now;
  }

  get(hash: string): KeyRecord | undefined {
    const entry = this.#entries.get(hash);
    if (entry === undefined) return undefined;
    this.#entries.delete(hash);
    if (entry.expiresAt <= this.#now()) return undefined;
    this.#entries.set(hash, entry); // re-insert: Map order is the recency order
    return entry.record;
  }

  set(hash: string, record: KeyRecord): void {
    if (this.#ttlMs <= 0 || this.#maxEntries <= 0) return;
    this.#entries.delete(hash);
    this.#entries.set(hash, { record, expiresAt: this.#now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }
}
