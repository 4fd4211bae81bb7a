// A Store that passes everything to another and counts the reads, so tests can see when the code
// under test went to the store.
import type { HashIncrements, SetOptions, Store } from '../../src/store/store.ts';

export class CountingStore implements Store {
  readonly kind: Store['kind'];
  /** Every read: get, hget, hgetall, and each hash of hgetallMany. */
  reads = 0;
  /** Key lookups alone (HGET). */
  hgets = 0;
  readonly #inner: Store;
  constructor(inner: Store) {
    this.#inner = inner;
    this.kind = inner.kind;
  }
  get(key: string) { this.reads += 1; return this.#inner.get(key); }
  set(key: string, value: string, options?: SetOptions) { return this.#inner.set(key, value, options); }
  del(key: string) { return this.#inner.del(key); }
  hget(key: string, field: string) { this.reads += 1; this.hgets += 1; return this.#inner.hget(key, field); }
  hset(key: string, field: string, value: string) { return this.#inner.hset(key, field, value); }
  hdel(key: string, field: string) { return this.#inner.hdel(key, field); }
  hgetall(key: string) { this.reads += 1; return this.#inner.hgetall(key); }
  incrementHashes(writes: readonly HashIncrements[]) { return this.#inner.incrementHashes(writes); }
  hgetallMany(keys: readonly string[]) { this.reads += keys.length; return this.#inner.hgetallMany(keys); }
}
