/**
 * Success/failure counts over the last `windowMs`, in a fixed ring of buckets: constant
 * memory however much traffic passes. A bucket covers `windowMs / buckets`; the window is
 * the current bucket and the `buckets - 1` before it, so it spans between
 * (buckets - 1) and buckets bucket-lengths of time.
 */
export class SlidingWindow {
  readonly #bucketMs: number;
  /** The bucket number (time / bucketMs) each slot currently counts for. */
  readonly #epochs: Float64Array;
  readonly #successes: Float64Array;
  readonly #failures: Float64Array;

  constructor(windowMs: number, buckets: number) {
    if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
    if (!(windowMs > 0) || !Number.isFinite(windowMs)) throw new RangeError(`windowMs must be positive, got ${windowMs}`);
    this.#bucketMs = windowMs / buckets;
    this.#epochs = new Float64Array(buckets).fill(Number.NEGATIVE_INFINITY);
    this.#successes = new Float64Array(buckets);
    this.#failures = new Float64Array(buckets);
  }

  add(failed: boolean, now: number): void {
    const epoch = Math.floor(now / this.#bucketMs);
    const slot = mod(epoch, this.#epochs.length);
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch; // the slot last counted an expired bucket: start it over
      this.#successes[slot] = 0;
      this.#failures[slot] = 0;
    }
    if (failed) this.#failures[slot] = (this.#failures[slot] ?? 0) + 1;
    else this.#successes[slot] = (this.#successes[slot] ?? 0) + 1;
  }

  totals(now: number): { requests: number; failures: number } {
    const current = Math.floor(now / this.#bucketMs);
    const oldest = current - this.#epochs.length + 1;
    let requests = 0;
    let failures = 0;
    for (let i = 0; i < this.#epochs.length; i++) {
      const epoch = this.#epochs[i] ?? Number.NEGATIVE_INFINITY;
      if (epoch < oldest || epoch > current) continue;
      const f = this.#failures[i] ?? 0;
      failures += f;
      requests += f + (this.#successes[i] ?? 0);
    }
    return { requests, failures };
  }

  clear(): void {
    this.#epochs.fill(Number.NEGATIVE_INFINITY);
  }
}

const mod = (n: number, m: number) => ((n % m) + m) % m;
