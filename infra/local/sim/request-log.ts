// The last N requests the simulator received, exactly as they arrived, so gateway tests can
// check that fields reached the backend untouched (GET /sim/requests).

export interface RecordedRequest {
  /** 1, 2, … in arrival order since start. */
  readonly seq: number;
  /** Epoch milliseconds. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: unknown;
}

export class RequestLog {
  readonly capacity: number;
  readonly #ring: RecordedRequest[] = [];
  #next = 0;
  #seq = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error('request log capacity must be an integer >= 1');
    this.capacity = capacity;
  }

  add(entry: Omit<RecordedRequest, 'seq'>): void {
    this.#seq += 1;
    const recorded = { seq: this.#seq, ...entry };
    if (this.#ring.length < this.capacity) this.#ring.push(recorded);
    else this.#ring[this.#next] = recorded;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): RecordedRequest[] {
    if (this.#ring.length < this.capacity) return [...this.#ring];
    return [...this.#ring.slice(this.#next), ...this.#ring.slice(0, this.#next)];
  }

  clear(): void {
    this.#ring.length = 0;
    this.#next = 0;
  }
}
