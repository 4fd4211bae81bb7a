import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis/cloudflare';
import { delay } from '../store/delay.ts';
import { LATE, within } from '../store/within.ts';
import { storeError } from '../store/store-error.ts';
import { BoundedMap } from './bounded-map.ts';
import { WINDOW_MS, type LimitCounters, type SlotTake, type Spent, type WindowTake } from './counters.ts';

/**
 * How a window check reaches Redis:
 * - `deferred` (@upstash/ratelimit's cachedFixedWindow for the first check): the first check of a
 *   subject in each window waits for Redis; the rest answer from isolate memory, and their
 *   increments (and settle's corrections) are summed per window and sent together, one pipelined
 *   request per `syncMs` for the whole isolate, after the responses (waitUntil). Each sync's
 *   answer (the global count) is folded back into the local view, so instances see each other
 *   within one sync.
 * - `strict` (fixedWindow): every check waits for Redis, so the count is exact across instances;
 *   a subject refused once is refused from memory until its window ends (the ephemeral cache).
 * Both keep the same keys (`prefix:id:window`), so instances may even mix them.
 */
export type RateSync = 'deferred' | 'strict';

export interface UpstashCountersOptions {
  /** A client from `@upstash/redis/cloudflare` (runs on Workers and Node alike). */
  redis: Redis;
  sync?: RateSync;
  prefix?: string;
  /** How long a check waits for Redis before letting the request through (limits fail open). */
  timeoutMs?: number;
  /** Bound on the ephemeral cache (counts per subject and window, refusals). */
  maxCachedEntries?: number;
  /** `deferred`: how long increments gather before one sync sends them all (default 100 ms). */
  syncMs?: number;
  now?: () => number;
  onError?: (error: unknown) => void;
  /** The client's token, removed from the errors reported. */
  token?: string;
}

// Concurrency: a sorted set of request tokens scored by when their lease ends; expired leases
// (a holder that died mid-request) are dropped before counting.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n = redis.call('ZCARD', KEYS[1])
if n >= tonumber(ARGV[3]) then return {0, n} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return {1, n + 1}`;

// A correction to a window @upstash/ratelimit counted, kept with a TTL even if the key is new.
const ADJUST = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v`;

const SPEND = `
redis.call('HINCRBY', KEYS[1], 't', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'u', ARGV[2])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1`;

const MAX_LIMITERS = 256;
/** Window keys with increments waiting for a sync; more than this sends them at once. */
const MAX_UNSYNCED = 4_096;
const ADJUST_TTL_MS = String(WINDOW_MS * 2 + 1000);

/** The limiter's counters in Redis (Upstash, or redis-server behind the REST bridge): shared by every instance. */
export class UpstashCounters implements LimitCounters {
  readonly #redis: Redis;
  readonly #sync: RateSync;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #onError: (error: unknown) => void;
  // The library's ephemeral cache, shared by every limit value: a changed limit keeps the count.
  readonly #cache: BoundedMap<string, number>;
  readonly #limiters = new BoundedMap<number, Ratelimit>(MAX_LIMITERS);
  readonly #syncMs: number;
  /** `deferred`: increments not yet sent, by window key; and the sync that will send them. */
  readonly #unsynced = new Map<string, number>();
  #nextSync: Promise<void> | undefined;
  readonly #acquire;
  readonly #adjust;
  readonly #spend;

  constructor(options: UpstashCountersOptions) {
    this.#redis = options.redis;
    this.#sync = options.sync ?? 'deferred';
    this.#prefix = options.prefix ?? 'switchyard:rl';
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#now = options.now ?? Date.now;
    // What reaches a log says neither the token nor the command (store-error.ts).
    const report = options.onError ?? throttledLog(this.#now);
    const secrets = options.token === undefined ? [] : [options.token];
    this.#onError = (error) => report(storeError(error, secrets));
    this.#cache = new BoundedMap(options.maxCachedEntries ?? 10_000);
    this.#syncMs = options.syncMs ?? 100;
    this.#acquire = this.#redis.createScript<[number, number]>(ACQUIRE);
    this.#adjust = this.#redis.createScript<number>(ADJUST);
    this.#spend = this.#redis.createScript<number>(SPEND);
  }

  get sync(): RateSync {
    return this.#sync;
  }

  async take(id: string, limit: number, amount: number, waitUntil: (work: Promise<unknown>) => void): Promise<WindowTake> {
    if (this.#sync === 'deferred') {
      // The library's window: from Date.now, as it computes it.
      const windowEnd = (Math.floor(Date.now() / WINDOW_MS) + 1) * WINDOW_MS;
      const key = this.#windowKey(id, windowEnd);
      const counted = this.#cache.get(key);
      if (counted !== undefined) {
        const used = counted + amount;
        this.#cache.set(key, used);
        const allowed = used <= limit;
        // As the library does: a refusal counts here only, it is not sent.
        if (allowed) waitUntil(this.#queue(key, amount));
        return { allowed, limit, remaining: Math.max(0, limit - used), resetAt: windowEnd };
      }
    }
    let result;
    try {
      result = await this.#limiter(limit).limit(id, { rate: amount });
    } catch (error) {
      return this.#open(limit, error);
    }
    if (result.reason === 'timeout') return this.#open(limit, new Error(`no answer from Redis within ${this.#timeoutMs} ms`));
    const { pending, reset } = result;
    waitUntil(this.#sync === 'deferred' ? pending.then((global) => this.#merge(id, reset, global)) : pending);
    return { allowed: result.success, limit, remaining: Math.max(0, result.remaining), resetAt: reset };
  }

  async adjust(id: string, amount: number, windowEnd: number): Promise<void> {
    if (amount === 0 || this.#now() >= windowEnd) return;
    const key = this.#windowKey(id, windowEnd);
    const local = this.#cache.get(key);
    if (local !== undefined) this.#cache.set(key, Math.max(0, local + amount));
    // A give-back may reopen a subject `strict` remembered as refused.
    if (amount < 0) this.#cache.delete(`${this.#prefix}:${id}`);
    if (this.#sync === 'deferred') return this.#queue(key, amount);
    await this.#bounded(this.#adjust.exec([key], [String(amount), ADJUST_TTL_MS]));
  }

  async acquire(id: string, limit: number, token: string, leaseMs: number): Promise<SlotTake> {
    const reply = await this.#bounded(this.#acquire.exec([this.#slotKey(id)], [String(this.#now()), String(leaseMs), String(limit), token]));
    return reply === undefined ? { allowed: true, inFlight: 0 } : { allowed: Number(reply[0]) === 1, inFlight: Number(reply[1]) };
  }

  async release(id: string, token: string): Promise<void> {
    await this.#bounded(this.#redis.zrem(this.#slotKey(id), token));
  }

  async spent(ids: readonly string[]): Promise<Spent[]> {
    // One round trip: the client pipelines commands issued together.
    const replies = await this.#bounded(Promise.all(ids.map((id) => this.#redis.hmget<Record<'t' | 'u', unknown>>(this.#budgetKey(id), 't', 'u'))));
    return ids.map((_, i) => ({ tokens: Number(replies?.[i]?.t ?? 0) || 0, microUsd: Number(replies?.[i]?.u ?? 0) || 0 }));
  }

  async spend(id: string, spent: Spent, ttlSeconds: number): Promise<void> {
    await this.#bounded(this.#spend.exec([this.#budgetKey(id)], [String(Math.round(spent.tokens)), String(Math.round(spent.microUsd)), String(ttlSeconds)]));
  }

  forget(): void {
    this.#cache.clear();
  }

  #limiter(limit: number): Ratelimit {
    let limiter = this.#limiters.get(limit);
    if (limiter === undefined) {
      limiter = new Ratelimit({
        redis: this.#redis,
        limiter: this.#sync === 'deferred' ? Ratelimit.cachedFixedWindow(limit, `${WINDOW_MS} ms`) : Ratelimit.fixedWindow(limit, `${WINDOW_MS} ms`),
        prefix: this.#prefix,
        ephemeralCache: this.#cache,
        timeout: this.#timeoutMs,
        analytics: false,
        enableProtection: false,
      });
      this.#limiters.set(limit, limiter);
    }
    return limiter;
  }

  /** Folds the global count a deferred sync answered into this isolate's view of the window. */
  #merge(id: string, windowEnd: number, global: unknown): void {
    this.#mergeKey(this.#windowKey(id, windowEnd), global);
  }

  #mergeKey(key: string, global: unknown): void {
    if (typeof global !== 'number') return;
    const local = this.#cache.get(key);
    if (local !== undefined && global > local) this.#cache.set(key, global);
  }

  /** Adds to what the next sync sends; the returned promise settles once it is sent. */
  #queue(key: string, amount: number): Promise<void> {
    this.#unsynced.set(key, (this.#unsynced.get(key) ?? 0) + amount);
    if (this.#unsynced.size >= MAX_UNSYNCED) return this.#sendUnsynced();
    this.#nextSync ??= delay(this.#syncMs).then(() => this.#sendUnsynced());
    return this.#nextSync;
  }

  /** One pipelined request for every window with increments waiting (the client pipelines commands issued together). */
  async #sendUnsynced(): Promise<void> {
    const batch = [...this.#unsynced].filter(([, n]) => n !== 0);
    this.#unsynced.clear();
    this.#nextSync = undefined;
    if (batch.length === 0) return;
    const globals = await this.#bounded(Promise.all(batch.map(([key, n]) => this.#adjust.exec([key], [String(n), ADJUST_TTL_MS]))));
    if (globals) batch.forEach(([key], i) => this.#mergeKey(key, globals[i]));
  }

  /**
   * The answer, or undefined when Redis failed or took longer than the timeout (reported):
   * limits fail open, because a store that does not answer must not take the API down with it.
   */
  async #bounded<T>(work: Promise<T>): Promise<T | undefined> {
    try {
      const answer = await within(work, this.#timeoutMs);
      if (answer !== LATE) return answer;
      this.#onError(new Error(`no answer from Redis within ${this.#timeoutMs} ms`));
    } catch (error) {
      this.#onError(error);
    }
    return undefined;
  }

  #open(limit: number, error: unknown): WindowTake {
    this.#onError(error);
    return { allowed: true, limit, remaining: limit, resetAt: (Math.floor(this.#now() / WINDOW_MS) + 1) * WINDOW_MS };
  }

  // The library's own key for a window: `${prefix}:${identifier}:${window number}`.
  #windowKey(id: string, windowEnd: number): string {
    return `${this.#prefix}:${id}:${windowEnd / WINDOW_MS - 1}`;
  }

  #slotKey(id: string): string {
    return `switchyard:slots:${id}`;
  }

  #budgetKey(id: string): string {
    return `switchyard:budget:${id}`;
  }
}

/** Reports store failures at most once per 10 s: an outage must not become a log flood. */
function throttledLog(now: () => number): (error: unknown) => void {
  let last = Number.NEGATIVE_INFINITY;
  let dropped = 0;
  return (error) => {
    const at = now();
    if (at - last < 10_000) {
      dropped += 1;
      return;
    }
    console.error(JSON.stringify({ event: 'limits_store_error', error: String(error), failOpen: true, alsoFailedSinceLastReport: dropped }));
    last = at;
    dropped = 0;
  };
}
