import type { Store } from '../store/store.ts';
import { decodeHealthSnapshot, HEALTH_KEY, type HealthSnapshot } from './snapshot.ts';

/** Keeps background work alive past the response: `ctx.waitUntil` on Workers. */
export type Schedule = (work: Promise<void>) => void;

export interface HealthSnapshotReaderOptions {
  store: Store;
  now: () => number;
  /** How long a read from the store is reused before the next one starts; default 5 s. */
  memoMs?: number;
  /** Older snapshots count as absent (the prober stopped); default 150 s. */
  maxAgeMs?: number;
  /**
   * A refresh still pending after this long is abandoned and another may start. On Workers a
   * promise tied to a finished request can stay pending forever; default 10 s.
   */
  refreshTimeoutMs?: number;
  key?: string;
  /** Store failures and invalid stored values; the reader itself never throws. */
  onError?: (error: unknown) => void;
}

export const READER_DEFAULTS = { memoMs: 5_000, maxAgeMs: 150_000, refreshTimeoutMs: 10_000 } as const;

/**
 * The health snapshot as this isolate knows it, stale-while-revalidate: `current()` answers
 * from memory at once and, when the memo is older than `memoMs`, starts one background read
 * of the store. A failed read keeps the last good snapshot (retried after another `memoMs`).
 */
export class HealthSnapshotReader {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #memoMs: number;
  readonly #maxAgeMs: number;
  readonly #refreshTimeoutMs: number;
  readonly #key: string;
  readonly #onError: ((error: unknown) => void) | undefined;

  #snapshot: HealthSnapshot | undefined;
  /** The stored text #snapshot was decoded from: the same text again is not decoded again. */
  #text: string | null | undefined;
  /** When the last read started; undefined before the first. */
  #lastReadAt: number | undefined;
  #pending: Promise<void> | undefined;
  /** Tags each read, so an abandoned read that settles late cannot overwrite a newer one. */
  #generation = 0;

  constructor(options: HealthSnapshotReaderOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#memoMs = options.memoMs ?? READER_DEFAULTS.memoMs;
    this.#maxAgeMs = options.maxAgeMs ?? READER_DEFAULTS.maxAgeMs;
    this.#refreshTimeoutMs = options.refreshTimeoutMs ?? READER_DEFAULTS.refreshTimeoutMs;
    this.#key = options.key ?? HEALTH_KEY;
    this.#onError = options.onError;
  }

  /**
   * The snapshot if it is recent enough, else undefined. Synchronous: never waits for the
   * store. `schedule` receives the background read when one starts (pass the current
   * request's `ctx.waitUntil`; without it the read just runs detached).
   */
  current(schedule?: Schedule): HealthSnapshot | undefined {
    const now = this.#now();
    if (this.#due(now)) {
      const work = this.#read(now);
      try {
        schedule?.(work);
      } catch (error) {
        this.#report(error); // e.g. waitUntil after the request ended; the read still runs
      }
    }
    const snapshot = this.#snapshot;
    return snapshot !== undefined && now - snapshot.takenAt <= this.#maxAgeMs ? snapshot : undefined;
  }

  /** Reads the store now (or joins the read in flight); for warm-up and tests. */
  refresh(): Promise<void> {
    const now = this.#now();
    return this.#pending !== undefined && !this.#abandoned(now) ? this.#pending : this.#read(now);
  }

  #due(now: number): boolean {
    if (this.#pending !== undefined) return this.#abandoned(now);
    return this.#lastReadAt === undefined || now - this.#lastReadAt >= this.#memoMs;
  }

  #abandoned(now: number): boolean {
    return this.#lastReadAt !== undefined && now - this.#lastReadAt >= this.#refreshTimeoutMs;
  }

  #read(now: number): Promise<void> {
    const generation = ++this.#generation;
    this.#lastReadAt = now;
    const work = (async () => {
      try {
        // Deferred a tick: a store that throws synchronously still settles after #pending is set.
        const text = await Promise.resolve().then(() => this.#store.get(this.#key));
        if (generation !== this.#generation) return;
        // Unchanged since the last read (the prober writes once a round; readers read more often):
        // keep the decoded snapshot, the same object, so routing keeps what it derived from it.
        if (text === this.#text) return;
        this.#text = text;
        if (text === null) {
          this.#snapshot = undefined;
          return;
        }
        const decoded = decodeHealthSnapshot(text);
        // An invalid value is no data, like a missing key; say so, since it is a writer bug.
        this.#snapshot = decoded.ok ? decoded.snapshot : undefined;
        if (!decoded.ok) this.#report(new Error(decoded.error));
      } catch (error) {
        this.#report(error);
      } finally {
        if (generation === this.#generation) this.#pending = undefined;
      }
    })();
    this.#pending = work;
    return work;
  }

  #report(error: unknown): void {
    try {
      this.#onError?.(error);
    } catch {
      // A failing error hook must not break the reader.
    }
  }
}
