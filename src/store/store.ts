/**
 * The storage operations the gateway needs, small enough that Upstash Redis and an
 * in-memory map implement them alike. Values are opaque strings (callers serialize).
 */
export interface Store {
  readonly kind: 'memory' | 'upstash';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, options?: SetOptions): Promise<void>;
  del(key: string): Promise<void>;
  hget(key: string, field: string): Promise<string | null>;
  hset(key: string, field: string, value: string): Promise<void>;
  hdel(key: string, field: string): Promise<void>;
  hgetall(key: string): Promise<Record<string, string>>;
  /**
   * Adds each number to its field of its hash (HINCRBYFLOAT) and, with `ttlSeconds`, sets that
   * hash to expire so long after this write (EXPIRE): every write in one round trip.
   */
  incrementHashes(writes: readonly HashIncrements[]): Promise<void>;
  /** Several whole hashes in one round trip, in the order asked ({} for a missing one). */
  hgetallMany(keys: readonly string[]): Promise<Record<string, string>[]>;
}

export interface HashIncrements {
  key: string;
  fields: Readonly<Record<string, number>>;
  ttlSeconds?: number;
}

export interface SetOptions {
  /** Expire the key after this many seconds. */
  ttlSeconds?: number;
}
