// Metrics: each instance gathers deltas and adds them to the store in one pipelined write per
// flush window, so the store holds the sum over every instance (running totals, minute buckets,
// hourly and daily usage rows, each with its own expiry). A failed write costs the caller
// nothing, counts nothing twice, and what an instance holds while the store is down is bounded.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { METRICS_KEY, Metrics, minuteKey, usageKey, type MetricsOptions } from '../../../../src/observe/metrics/metrics.ts';
import type { RequestRecord } from '../../../../src/observe/request-record.ts';
import { MemoryStore } from '../../../../src/store/memory-store.ts';
import type { HashIncrements, Store } from '../../../../src/store/store.ts';
import { servedRecord } from '../fixtures.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** 2026-12-04T10:00:00Z: a day, an hour and a minute start. */
const T0 = Date.UTC(2026, 11, 4, 10);
const REQUESTS = 'switchyard_requests_total{gen_ai_operation_name="chat",gen_ai_request_model="llama",tier="small",region="eu",tenant="acme",status="200",cache="none"}';
const ACME = 'acme|key-a|llama|eu|';

/** The real memory store, counting the pipelined writes it is sent; `failing` makes them throw (the store is down). */
class WatchedStore implements Store {
  readonly kind = 'memory' as const;
  readonly memory: MemoryStore;
  readonly writes: HashIncrements[][] = [];
  failing = false;
  constructor(now: () => number = () => T0) {
    this.memory = new MemoryStore({ now });
  }
  async incrementHashes(writes: readonly HashIncrements[]): Promise<void> {
    if (this.failing) throw new Error('store unreachable');
    this.writes.push([...writes]);
    await this.memory.incrementHashes(writes);
  }
  get = (key: string) => this.memory.get(key);
  set = (...a: Parameters<Store['set']>) => this.memory.set(...a);
  del = (key: string) => this.memory.del(key);
  hget = (key: string, field: string) => this.memory.hget(key, field);
  hset = (key: string, field: string, value: string) => this.memory.hset(key, field, value);
  hdel = (key: string, field: string) => this.memory.hdel(key, field);
  hgetall = (key: string) => this.memory.hgetall(key);
  hgetallMany = (keys: readonly string[]) => this.memory.hgetallMany(keys);
}

/** A Metrics instance over its own watched store. */
function watched(options: Omit<MetricsOptions, 'store'>, now?: () => number) {
  const store = new WatchedStore(now);
  return { store, metrics: new Metrics({ store, ...options }) };
}

/** One request ended at `endedAt` (started 300 ms before), as the request path hands it over. */
const observe = (metrics: Metrics, endedAt: number, filled: Partial<RequestRecord> = {}) => metrics.observe(servedRecord({ startedAt: endedAt - 300, ...filled }), 'chat', 200, undefined, endedAt);

const stored = async (store: Store, key: string) => Number((await store.hgetall(key))[REQUESTS] ?? 0);

/** Every field this instance holds and the store does not (the store's writes failing, its reads fine). */
async function held(metrics: Metrics, from: number, to: number): Promise<number> {
  const minutes = await metrics.minutes(from, to);
  const hours = await metrics.usage('1h', from, to);
  return [...minutes.values(), ...hours.values()].reduce((n, fields) => n + fields.size, 0);
}

let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  vi.useRealTimers();
  errorLog.mockRestore();
});

describe('Metrics, batching', () => {
  it('gathers the requests of one flush window into one pipelined write, when the window ends', async () => {
    vi.useFakeTimers();
    const { store, metrics } = watched({ flushMs: 2000 });
    const write = observe(metrics, T0 + 1);
    expect(write).toBeInstanceOf(Promise);
    // Later requests ride on the write already scheduled: nothing more to keep alive.
    expect(observe(metrics, T0 + 2)).toBeUndefined();
    expect(observe(metrics, T0 + 3, { tenant: 'globex' })).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1999);
    expect(store.writes).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await write;
    expect(store.writes).toHaveLength(1);
    expect(await stored(store, METRICS_KEY)).toBe(2);
    expect(await metrics.totals()).toEqual(new Map(Object.entries(await store.hgetall(METRICS_KEY)).map(([f, v]) => [f, Number(v)])));
  });

  it('schedules a new window for requests after a write', async () => {
    vi.useFakeTimers();
    const { store, metrics } = watched({ flushMs: 2000 });
    const first = observe(metrics, T0);
    await vi.advanceTimersByTimeAsync(2000);
    await first;
    const second = observe(metrics, T0 + 2500);
    expect(second).toBeInstanceOf(Promise);
    await vi.advanceTimersByTimeAsync(2000);
    await second;
    expect(store.writes).toHaveLength(2);
    expect(await stored(store, METRICS_KEY)).toBe(2);
  });

  it('with flushMs 0, writes each request at once', async () => {
    const { store, metrics } = watched({ flushMs: 0 });
    for (let i = 0; i < 3; i++) {
      const write = observe(metrics, T0 + i);
      expect(write).toBeInstanceOf(Promise);
      await write;
      expect(store.writes).toHaveLength(i + 1);
      expect(await stored(store, METRICS_KEY)).toBe(i + 1);
    }
  });

  it('writes before the window ends once it holds maxFields fields', async () => {
    vi.useFakeTimers();
    const { store, metrics } = watched({ flushMs: 60_000, maxFields: 40 });
    const scheduled = observe(metrics, T0);
    // A second shape takes the fields held past the bound: written now, not in a minute.
    const forced = observe(metrics, T0, { tenant: 'globex' });
    expect(forced).toBeInstanceOf(Promise);
    await forced;
    expect(store.writes).toHaveLength(1);
    const requests = Object.entries(await store.hgetall(METRICS_KEY)).filter(([f]) => f.startsWith('switchyard_requests_total'));
    expect(requests.map(([, n]) => Number(n))).toEqual([1, 1]);
    // The window's own write, when it comes, finds nothing more to send.
    await vi.advanceTimersByTimeAsync(60_000);
    await scheduled;
    expect(store.writes).toHaveLength(1);
  });

  it('after a write forced by the bound, still schedules the next request’s window', async () => {
    vi.useFakeTimers();
    const { store, metrics } = watched({ flushMs: 2000, maxFields: 40 });
    // One request that tried 30 endpoints reaches the bound alone: written at once.
    const attempts = Array.from({ length: 30 }, (_, i) => ({ endpoint: `eu/llama/${i}`, outcome: 503, ms: 1 }));
    await observe(metrics, T0, { attempts });
    expect(await stored(store, METRICS_KEY)).toBe(1);
    // A plain request stays under it: it waits for its window, which must come.
    const next = observe(metrics, T0 + 1);
    expect(next).toBeInstanceOf(Promise);
    await vi.advanceTimersByTimeAsync(2000);
    await next;
    expect(await stored(store, METRICS_KEY)).toBe(2);
  });

  it('flushes nothing when nothing was observed', async () => {
    const { store, metrics } = watched({ flushMs: 0 });
    await metrics.flush();
    expect(store.writes).toHaveLength(0);
  });
});

describe('Metrics, buckets and expiry', () => {
  it('writes running totals (no expiry), minute buckets (6 h), hourly usage (40 days) and daily usage (400 days)', async () => {
    const { store, metrics } = watched({ flushMs: 60_000 });
    // Two requests in one minute, one in the next hour; all on one day.
    observe(metrics, T0 + 5_000);
    observe(metrics, T0 + 59_999);
    observe(metrics, T0 + HOUR + 1);
    await metrics.flush();
    expect(store.writes).toHaveLength(1);
    const ttl = new Map(store.writes[0]?.map((w) => [w.key, w.ttlSeconds]));
    expect(ttl).toEqual(
      new Map([
        [METRICS_KEY, undefined],
        [minuteKey(T0), 6 * 3600],
        [minuteKey(T0 + HOUR), 6 * 3600],
        [usageKey('1h', T0), 40 * 86_400],
        [usageKey('1h', T0 + HOUR), 40 * 86_400],
        [usageKey('1d', T0 - 10 * HOUR), 400 * 86_400],
      ]),
    );
    expect(await stored(store, METRICS_KEY)).toBe(3);
    expect(await stored(store, minuteKey(T0))).toBe(2);
    expect(await stored(store, minuteKey(T0 + HOUR))).toBe(1);
    expect((await store.hgetall(usageKey('1h', T0)))[`${ACME}requests`]).toBe('2');
    expect((await store.hgetall(usageKey('1d', T0 - 10 * HOUR)))[`${ACME}requests`]).toBe('3');
    expect((await store.hgetall(usageKey('1d', T0 - 10 * HOUR)))[`${ACME}input`]).toBe('300');
  });

  it('lets each bucket expire on its own in the store', async () => {
    let now = T0;
    const { store, metrics } = watched({ flushMs: 0 }, () => now);
    await observe(metrics, T0);
    now = T0 + 6 * HOUR;
    expect(await metrics.minutes(T0, T0)).toEqual(new Map([[T0, new Map()]]));
    expect(await stored(store, METRICS_KEY)).toBe(1);
    now = T0 + 40 * DAY;
    expect((await metrics.usage('1h', T0, T0)).get(T0)).toEqual(new Map());
    expect((await metrics.usage('1d', T0, T0)).get(T0 - 10 * HOUR)?.get(`${ACME}requests`)).toBe(1);
    now = T0 + 400 * DAY;
    expect((await metrics.usage('1d', T0, T0)).get(T0 - 10 * HOUR)).toEqual(new Map());
    expect(await stored(store, METRICS_KEY)).toBe(1);
  });

  it('reads every bucket of a range, empty ones included, aligned to bucket starts', async () => {
    const { metrics } = watched({ flushMs: 0 });
    await observe(metrics, T0 + 2 * MINUTE + 7);
    const minutes = await metrics.minutes(T0 + 30_000, T0 + 3 * MINUTE + 1);
    expect([...minutes.keys()]).toEqual([T0, T0 + MINUTE, T0 + 2 * MINUTE, T0 + 3 * MINUTE]);
    expect([...minutes.values()].map((fields) => fields.get(REQUESTS) ?? 0)).toEqual([0, 0, 1, 0]);
    const days = await metrics.usage('1d', T0 - 3 * DAY, T0);
    expect(days.size).toBe(4);
  });
});

describe('Metrics, reads before a write', () => {
  it('adds what this instance has not written yet to totals, minutes, hours and days', async () => {
    const { store, metrics } = watched({ flushMs: 60_000 });
    observe(metrics, T0 + 1);
    expect(store.writes).toHaveLength(0);
    expect((await metrics.totals()).get(REQUESTS)).toBe(1);
    expect((await metrics.minutes(T0, T0)).get(T0)?.get(REQUESTS)).toBe(1);
    expect((await metrics.usage('1h', T0, T0)).get(T0)?.get(`${ACME}requests`)).toBe(1);
    expect((await metrics.usage('1d', T0, T0)).get(T0 - 10 * HOUR)?.get(`${ACME}requests`)).toBe(1);
    // Reading does not write, and what was read is still written (once) by the next flush.
    expect(store.writes).toHaveLength(0);
    await metrics.flush();
    expect(await stored(store, METRICS_KEY)).toBe(1);
    expect((await metrics.totals()).get(REQUESTS)).toBe(1);
  });
});

describe('Metrics, across instances', () => {
  it('sums what several instances (isolates) write to one store, whoever reads', async () => {
    const store = new WatchedStore();
    const a = new Metrics({ store, flushMs: 60_000 });
    const b = new Metrics({ store, flushMs: 60_000 });
    observe(a, T0);
    observe(a, T0 + 1, { tenant: 'globex' });
    for (let i = 0; i < 3; i++) observe(b, T0 + 2 + i);
    await a.flush();
    // b has not written yet: a sees only what is stored, b adds its own.
    expect((await a.totals()).get(REQUESTS)).toBe(1);
    expect((await b.totals()).get(REQUESTS)).toBe(4);
    await b.flush();
    for (const reader of [a, b]) {
      const totals = await reader.totals();
      expect(totals.get(REQUESTS)).toBe(4);
      expect(totals.get(REQUESTS.replace('tenant="acme"', 'tenant="globex"'))).toBe(1);
      expect((await reader.minutes(T0, T0)).get(T0)?.get(REQUESTS)).toBe(4);
      expect((await reader.usage('1h', T0, T0)).get(T0)?.get(`${ACME}input`)).toBe(400);
    }
  });
});

describe('Metrics, when the store fails', () => {
  it('never throws to the caller, keeps the deltas, and writes them once when the store is back', async () => {
    const { store, metrics } = watched({ flushMs: 0 });
    store.failing = true;
    await expect(observe(metrics, T0)).resolves.toBeUndefined();
    await expect(observe(metrics, T0 + 1)).resolves.toBeUndefined();
    expect(errorLog).toHaveBeenCalledTimes(1); // logged once, not once per failed write
    expect((await metrics.totals()).get(REQUESTS)).toBe(2);
    store.failing = false;
    await observe(metrics, T0 + 2);
    expect(await stored(store, METRICS_KEY)).toBe(3);
    expect(await stored(store, minuteKey(T0))).toBe(3);
    expect((await store.hgetall(usageKey('1h', T0)))[`${ACME}output`]).toBe('60');
    // Nothing left behind to be written again.
    await metrics.flush();
    expect(await stored(store, METRICS_KEY)).toBe(3);
    expect((await metrics.totals()).get(REQUESTS)).toBe(3);
  });

  it('counts nothing twice when one write fails while another, started earlier, succeeds', async () => {
    const { store, metrics } = watched({ flushMs: 0 });
    const first = observe(metrics, T0);
    store.failing = true;
    const second = observe(metrics, T0 + 1);
    await Promise.all([first, second]);
    expect(await stored(store, METRICS_KEY)).toBe(1);
    store.failing = false;
    await metrics.flush();
    expect(await stored(store, METRICS_KEY)).toBe(2);
  });

  it('holds a bounded number of fields however long the store stays down, and writes what it kept once it is back', async () => {
    const maxFields = 200;
    const { store, metrics } = watched({ flushMs: 0, maxFields });
    store.failing = true;
    // Six hours of one request a minute: each minute is a new bucket of the same fields.
    const minutes = 6 * 60;
    let most = 0;
    for (let i = 0; i < minutes; i++) {
      await observe(metrics, T0 + i * MINUTE);
      most = Math.max(most, await held(metrics, T0, T0 + minutes * MINUTE));
    }
    // One request writes about 40 fields (its minute's metrics and its usage row).
    expect(most).toBeLessThanOrEqual(maxFields + 60);
    expect(most).toBeGreaterThan(0);
    const kept = (await metrics.totals()).get(REQUESTS) ?? 0;
    expect(kept).toBeLessThan(minutes);
    store.failing = false;
    await observe(metrics, T0 + minutes * MINUTE);
    // The store gets what was still held, once, with the request that found it back.
    expect(await stored(store, METRICS_KEY)).toBe(kept + 1);
    const buckets = await metrics.minutes(T0, T0 + minutes * MINUTE);
    expect([...buckets.values()].reduce((n, fields) => n + (fields.get(REQUESTS) ?? 0), 0)).toBe(kept + 1);
  });
});
