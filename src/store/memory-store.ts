import type { HashIncrements, SetOptions, Store } from './store.ts';
import { ttlMilliseconds, wrongType } from './store-rules.ts';

type Entry =
  | { kind: 'string'; value: string; expiresAt: number | undefined }
  | { kind: 'hash'; fields: Map<string, string>; expiresAt?: number | undefined };

export interface MemoryStoreOptions {
  /** Milliseconds since the epoch; injectable so tests can move time without waiting. */
  now?: () => number;
}

/**
 * The embedded store: one isolate's (or one process's) memory, with Redis semantics for
 * the operations the gateway uses. Expiry is checked when a key is touched; on top of that,
 * a full sweep runs once the writes since the last sweep outnumber the keys that sweep left,
 * so keys that are written and never read again cannot pile up (amortized O(1) per write).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #writesSinceSweep = 0;
  #sizeAfterSweep = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  /** Entries held, expired ones not yet swept included: for metrics and tests. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<string | null> {
    const entry = this.#live(key);
    if (entry === undefined) return null;
    if (entry.kind !== 'string') throw wrongType(key);
    return entry.value;
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    const ttl = options?.ttlSeconds === undefined ? undefined : ttlMilliseconds(options.ttlSeconds);
    // Like Redis SET: replaces any type and any previous TTL.
    this.#entries.set(key, { kind: 'string', value, expiresAt: ttl === undefined ? undefined : this.#now() + ttl });
    this.#wrote();
  }

  async del(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async hget(key: string, field: string): Promise<string | null> {
    return this.#hash(key)?.get(field) ?? null;
  }

  async hset(key: string, field: string, value: string): Promise<void> {
    const fields = this.#hash(key);
    if (fields === undefined) {
      this.#entries.set(key, { kind: 'hash', fields: new Map([[field, value]]) });
    } else {
      fields.set(field, value);
    }
    this.#wrote();
  }

  async hdel(key: string, field: string): Promise<void> {
    const fields = this.#hash(key);
    if (fields === undefined) return;
    fields.delete(field);
    // Redis deletes a hash whose last field is removed.
    if (fields.size === 0) this.#entries.delete(key);
  }

  async incrementHashes(writes: readonly HashIncrements[]): Promise<void> {
    for (const { key, fields, ttlSeconds } of writes) {
      let entry = this.#live(key);
      if (entry !== undefined && entry.kind !== 'hash') throw wrongType(key);
      if (entry === undefined) {
        entry = { kind: 'hash', fields: new Map() };
        this.#entries.set(key, entry);
      }
      for (const field in fields) {
        const current = entry.fields.get(field);
        const value = current === undefined ? 0 : Number(current);
        // Like HINCRBYFLOAT on a field that is not a number.
        if (!Number.isFinite(value)) throw new TypeError(`ERR hash value is not a float (${key} ${field})`);
        entry.fields.set(field, String(value + (fields[field] as number)));
      }
      if (ttlSeconds !== undefined) entry.expiresAt = this.#now() + ttlMilliseconds(ttlSeconds);
    }
    this.#wrote();
  }

  async hgetallMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    return Promise.all(keys.map((key) => this.hgetall(key)));
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    const fields = this.#hash(key);
    return fields === undefined ? {} : Object.fromEntries(fields);
  }

  #hash(key: string): Map<string, string> | undefined {
    const entry = this.#live(key);
    if (entry === undefined) return undefined;
    if (entry.kind !== 'hash') throw wrongType(key);
    return entry.fields;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (expired(entry, this.#now())) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #wrote(): void {
    this.#writesSinceSweep += 1;
    // A sweep costs at most (keys left by the last sweep + writes since), and runs only after
    // at least as many writes as the last sweep left keys: at most two steps per write.
    if (this.#writesSinceSweep < Math.max(1024, this.#sizeAfterSweep)) return;
    this.#writesSinceSweep = 0;
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (expired(entry, now)) this.#entries.delete(key);
    }
    this.#sizeAfterSweep = this.#entries.size;
  }
}

function expired(entry: Entry, now: number): boolean {
  return entry.expiresAt !== undefined && entry.expiresAt <= now;
}
