import type { HashIncrements, Store } from '../../store/store.ts';
import type { RequestRecord } from '../request-record.ts';
import { attemptField, RequestTally, shapeOf, tallyKey } from './request-tally.ts';
import { delay } from '../../store/delay.ts';

export const METRICS_KEY = 'switchyard:metrics';
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Minute buckets feed the dashboard's charts: a few hours is plenty. */
const MINUTE_TTL_SECONDS = 6 * 3600;
const HOUR_TTL_SECONDS = 40 * 86_400;
const DAY_TTL_SECONDS = 400 * 86_400;

export const minuteKey = (minuteStart: number) => `${METRICS_KEY}:1m:${minuteStart}`;
export const usageKey = (width: '1h' | '1d', bucketStart: number) => `switchyard:usage:${width}:${bucketStart}`;
export const bucketStart = (at: number, width: number) => Math.floor(at / width) * width;
export const BUCKET_MS = { '1m': MINUTE, '1h': HOUR, '1d': DAY } as const;

export interface MetricsOptions {
  store: Store;
  /** How long deltas gather in this instance before one pipelined write (0: write after every request). */
  flushMs: number;
  /** Fields held before a write is forced, however soon. */
  maxFields?: number;
}

/**
 * The gateway's counters and histograms, and the usage rows behind /v1/usage. Each instance
 * (a Worker isolate, a Node process) gathers deltas in memory and adds them to the store in
 * one pipelined write every `flushMs` (deferred: `waitUntil` on Workers), so the store holds
 * the sum over every instance: running totals (what /metrics serves), minute buckets (the
 * dashboard's charts) and hourly and daily usage rows, each expiring on its own.
 * Reads add what this instance has not written yet.
 */
export class Metrics {
  readonly #store: Store;
  readonly #flushMs: number;
  readonly #maxFields: number;
  /** Deltas by minute bucket (totals are their sum). */
  #minutes = new Map<number, Map<string, number>>();
  /** Usage row deltas by hour bucket. */
  #usage = new Map<number, Map<string, number>>();
  /** Finished requests by minute and shape, not yet turned into fields (that happens once per shape, at write time). */
  #tallies = new Map<number, Map<string, RequestTally>>();
  #fields = 0;
  #pending: Promise<void> | undefined;
  #failures = 0;

  constructor(options: MetricsOptions) {
    this.#store = options.store;
    this.#flushMs = options.flushMs;
    this.#maxFields = options.maxFields ?? 5_000;
  }

  /**
   * Adds one finished API request: a short key and a few additions (src/observe/metrics/
   * request-tally.ts). Returns the write to keep alive (`waitUntil`), or undefined when a write
   * already scheduled will carry these deltas too.
   */
  observe(record: RequestRecord, operation: string, status: number, error: unknown, endedAt: number): Promise<void> | undefined {
    const minute = bucketStart(endedAt, MINUTE);
    let tallies = this.#tallies.get(minute);
    if (!tallies) this.#tallies.set(minute, (tallies = new Map()));
    const key = tallyKey(record, operation, status, error);
    let tally = tallies.get(key);
    if (!tally) {
      tallies.set(key, (tally = new RequestTally(shapeOf(record, operation, status, error))));
      // About the fields one shape writes: what the bound on held fields counts.
      this.#fields += 24;
    }
    tally.add(record, endedAt);
    if (record.attempts.length > 0) {
      const fields = bucketOf(this.#minutes, minute);
      for (const a of record.attempts) this.#add(fields, attemptField(a.endpoint, a.outcome), 1);
    }
    return this.#schedule();
  }

  #schedule(): Promise<void> | undefined {
    // A write now is never `#pending` (the timer's write): flush() has already cleared that by
    // the time it returns, so holding its promise there would stop every later timer.
    if (this.#flushMs <= 0 || this.#fields >= this.#maxFields) return this.flush();
    if (this.#pending) return undefined;
    this.#pending = delay(this.#flushMs).then(() => this.flush());
    return this.#pending;
  }

  /** Turns the tallies into metric fields and usage rows (at write and read time only). */
  #drainTallies(): void {
    const tallies = this.#tallies;
    if (tallies.size === 0) return;
    this.#tallies = new Map();
    for (const [minute, byShape] of tallies) {
      const fields = bucketOf(this.#minutes, minute);
      const usage = bucketOf(this.#usage, bucketStart(minute, HOUR));
      for (const tally of byShape.values()) {
        tally.emit(
          (field, n) => this.#add(fields, field, n),
          (field, n) => this.#add(usage, field, n),
        );
      }
    }
  }

  #add(bucket: Map<string, number>, field: string, n: number): void {
    const before = bucket.get(field);
    if (before === undefined) this.#fields++;
    bucket.set(field, (before ?? 0) + n);
  }

  /** Writes everything gathered so far in one round trip. A failed write keeps its deltas for the next one. */
  async flush(): Promise<void> {
    this.#drainTallies();
    const minutes = this.#minutes;
    const usage = this.#usage;
    this.#minutes = new Map();
    this.#usage = new Map();
    this.#fields = 0;
    this.#pending = undefined;
    if (minutes.size === 0 && usage.size === 0) return;
    const totals = new Map<string, number>();
    const writes: HashIncrements[] = [];
    for (const [minute, fields] of minutes) {
      for (const [field, n] of fields) totals.set(field, (totals.get(field) ?? 0) + n);
      writes.push({ key: minuteKey(minute), fields: Object.fromEntries(fields), ttlSeconds: MINUTE_TTL_SECONDS });
    }
    writes.unshift({ key: METRICS_KEY, fields: Object.fromEntries(totals) });
    const days = new Map<number, Map<string, number>>();
    for (const [hour, fields] of usage) {
      writes.push({ key: usageKey('1h', hour), fields: Object.fromEntries(fields), ttlSeconds: HOUR_TTL_SECONDS });
      const day = bucketOf(days, bucketStart(hour, DAY));
      for (const [field, n] of fields) day.set(field, (day.get(field) ?? 0) + n);
    }
    for (const [day, fields] of days) writes.push({ key: usageKey('1d', day), fields: Object.fromEntries(fields), ttlSeconds: DAY_TTL_SECONDS });
    try {
      await this.#store.incrementHashes(writes);
      this.#failures = 0;
    } catch (error) {
      // Put the deltas back (they merge with newer ones) unless the store has been down long
      // enough that holding more would grow without bound: every field counts, each minute's
      // and each usage row's, since a long outage adds new minute buckets of the same names.
      if (this.#fields + fieldsIn(minutes) + fieldsIn(usage) <= this.#maxFields) {
        for (const [minute, fields] of minutes) for (const [f, n] of fields) this.#add(bucketOf(this.#minutes, minute), f, n);
        for (const [hour, fields] of usage) for (const [f, n] of fields) this.#add(bucketOf(this.#usage, hour), f, n);
      }
      if (this.#failures++ % 100 === 0) console.error('metrics: writing to the store failed; the deltas are kept for the next write', error);
    }
  }

  /** Running totals over every instance (what /metrics serves). */
  async totals(): Promise<Map<string, number>> {
    this.#drainTallies();
    const stored = await this.#store.hgetall(METRICS_KEY);
    const out = parsed(stored);
    for (const fields of this.#minutes.values()) mergeInto(out, fields);
    return out;
  }

  /** Minute buckets from `from` to `to` (bucket starts), each the sum over every instance. */
  async minutes(from: number, to: number): Promise<Map<number, Map<string, number>>> {
    this.#drainTallies();
    return this.#read('1m', from, to, this.#minutes);
  }

  /** Usage rows in hourly or daily buckets from `from` to `to`. */
  async usage(width: '1h' | '1d', from: number, to: number): Promise<Map<number, Map<string, number>>> {
    this.#drainTallies();
    if (width === '1h') return this.#read('1h', from, to, this.#usage);
    const local = new Map<number, Map<string, number>>();
    for (const [hour, fields] of this.#usage) mergeInto(bucketOf(local, bucketStart(hour, DAY)), fields);
    return this.#read('1d', from, to, local);
  }

  async #read(width: keyof typeof BUCKET_MS, from: number, to: number, local: Map<number, Map<string, number>>): Promise<Map<number, Map<string, number>>> {
    const step = BUCKET_MS[width];
    const starts: number[] = [];
    for (let t = bucketStart(from, step); t <= to; t += step) starts.push(t);
    const key = width === '1m' ? minuteKey : (t: number) => usageKey(width, t);
    const hashes = await this.#store.hgetallMany(starts.map(key));
    const out = new Map<number, Map<string, number>>();
    starts.forEach((t, i) => {
      const fields = parsed(hashes[i] ?? {});
      const mine = local.get(t);
      if (mine) mergeInto(fields, mine);
      out.set(t, fields);
    });
    return out;
  }
}

function bucketOf<K>(map: Map<K, Map<string, number>>, key: K): Map<string, number> {
  let bucket = map.get(key);
  if (!bucket) map.set(key, (bucket = new Map()));
  return bucket;
}

function fieldsIn(buckets: ReadonlyMap<number, ReadonlyMap<string, number>>): number {
  let n = 0;
  for (const fields of buckets.values()) n += fields.size;
  return n;
}

function parsed(hash: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const field in hash) {
    const n = Number(hash[field]);
    if (Number.isFinite(n)) out.set(field, n);
  }
  return out;
}

function mergeInto(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [field, n] of from) into.set(field, (into.get(field) ?? 0) + n);
}
