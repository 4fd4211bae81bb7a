/**
 * A Map that drops its oldest entry once it holds `max`: for caches a library fills by itself
 * (@upstash/ratelimit's ephemeral cache keeps one entry per identifier and window, forever).
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #max: number;

  constructor(max: number) {
    super();
    this.#max = max;
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.#max) {
      const oldest = this.keys().next();
      if (oldest.done !== true) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
