import { describe, expect, it } from 'vitest';
import { decodeHealthSnapshot, HEALTH_KEY, HEALTH_TTL_SECONDS, type HealthSnapshot, readHealthSnapshot, sampleOf, writeHealthSnapshot } from '../../../src/health/snapshot.ts';
import { HealthSnapshotReader } from '../../../src/health/snapshot-reader.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';

const T0 = 1_700_000_000_000;

const snapshotAt = (takenAt: number, healthy = true): HealthSnapshot => ({
  takenAt,
  endpoints: {
    'us/m/0': { healthy, checkedAt: takenAt + 5, waiting: 1, running: 2, kvCacheUsage: 0.3 },
    'eu/m/0': { healthy: false, checkedAt: takenAt + 7, error: 'network: ECONNREFUSED' },
  },
});

describe('health snapshot in the store', () => {
  it('writes JSON under switchyard:health with a TTL and reads it back', async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    await writeHealthSnapshot(store, snapshotAt(T0));
    expect(HEALTH_KEY).toBe('switchyard:health');
    expect(JSON.parse((await store.get('switchyard:health')) ?? 'null')).toEqual(snapshotAt(T0));
    expect(await readHealthSnapshot(store)).toEqual(snapshotAt(T0));
    now = T0 + HEALTH_TTL_SECONDS * 1000;
    expect(await readHealthSnapshot(store)).toBeUndefined();
  });

  it('refuses to write a snapshot it could not read back', async () => {
    const store = new MemoryStore();
    const bad = { takenAt: T0, endpoints: { a: { healthy: true, checkedAt: T0, waiting: -1 } } };
    await expect(writeHealthSnapshot(store, bad)).rejects.toThrow();
    expect(await store.get(HEALTH_KEY)).toBeNull();
  });

  it.each([
    ['not JSON', '{"takenAt":'],
    ['wrong shape', '[1,2,3]'],
    ['missing takenAt', JSON.stringify({ endpoints: {} })],
    ['healthy not a boolean', JSON.stringify({ takenAt: T0, endpoints: { a: { healthy: 'yes', checkedAt: T0 } } })],
    ['negative queue', JSON.stringify({ takenAt: T0, endpoints: { a: { healthy: true, checkedAt: T0, waiting: -3 } } })],
    ['null metric (NaN through JSON)', JSON.stringify({ takenAt: T0, endpoints: { a: { healthy: true, checkedAt: T0, kvCacheUsage: null } } })],
  ])('treats a corrupted value (%s) as absent', async (_what, text) => {
    const store = new MemoryStore();
    await store.set(HEALTH_KEY, text);
    expect(decodeHealthSnapshot(text).ok).toBe(false);
    expect(await readHealthSnapshot(store)).toBeUndefined();
  });

  it('strips unknown fields, so a newer writer does not break this reader', () => {
    const text = JSON.stringify({ takenAt: T0, extra: 1, endpoints: { a: { healthy: true, checkedAt: T0, ttftMs: 40 } } });
    expect(decodeHealthSnapshot(text)).toEqual({ ok: true, snapshot: { takenAt: T0, endpoints: { a: { healthy: true, checkedAt: T0 } } } });
  });

  it('sampleOf reads own entries only', () => {
    const s = snapshotAt(T0);
    expect(sampleOf(s, 'us/m/0')?.running).toBe(2);
    expect(sampleOf(s, 'toString')).toBeUndefined();
    expect(sampleOf(undefined, 'us/m/0')).toBeUndefined();
  });
});

/** A store whose get() is answered by hand, counting reads. */
function manualStore() {
  const pending: Array<{ resolve: (v: string | null) => void; reject: (e: Error) => void }> = [];
  const store: Store = {
    kind: 'memory',
    get: () => new Promise<string | null>((resolve, reject) => pending.push({ resolve, reject })),
    set: async () => {},
    del: async () => {},
    hget: async () => null,
    hset: async () => {},
    hdel: async () => {},
    hgetall: async () => ({}),
    incrementHashes: async () => {},
    hgetallMany: async (keys: readonly string[]) => keys.map(() => ({})),
  };
  return { store, pending };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('HealthSnapshotReader (stale-while-revalidate)', () => {
  it('answers synchronously: undefined at first, then the snapshot once the background read lands', async () => {
    let now = T0;
    const { store, pending } = manualStore();
    const scheduled: Array<Promise<void>> = [];
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 5_000 });

    expect(reader.current((p) => scheduled.push(p))).toBeUndefined();
    expect(scheduled).toHaveLength(1);
    expect(pending).toHaveLength(0); // the store call itself is deferred a tick
    await flush();
    expect(pending).toHaveLength(1);
    // The read is still out: current() does not wait for it and does not start another.
    expect(reader.current((p) => scheduled.push(p))).toBeUndefined();
    pending[0]?.resolve(JSON.stringify(snapshotAt(T0)));
    await scheduled[0];
    expect(reader.current((p) => scheduled.push(p))).toEqual(snapshotAt(T0));
    expect(scheduled).toHaveLength(1);
    now += 1_000;
    expect(reader.current()).toEqual(snapshotAt(T0));
    await flush();
    expect(pending).toHaveLength(1);
  });

  it('starts exactly one refresh when the memo is older than memoMs, and serves the old snapshot meanwhile', async () => {
    let now = T0;
    const { store, pending } = manualStore();
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 5_000 });
    const first = reader.refresh();
    await flush();
    pending[0]?.resolve(JSON.stringify(snapshotAt(T0)));
    await first;

    now = T0 + 5_000;
    const scheduled: Array<Promise<void>> = [];
    for (let i = 0; i < 10; i++) expect(reader.current((p) => scheduled.push(p))?.takenAt).toBe(T0);
    expect(scheduled).toHaveLength(1);
    await flush();
    expect(pending).toHaveLength(2);
    pending[1]?.resolve(JSON.stringify(snapshotAt(T0 + 4_000)));
    await scheduled[0];
    expect(reader.current()?.takenAt).toBe(T0 + 4_000);
  });

  it('keeps the last good snapshot when the store fails, and retries after memoMs', async () => {
    let now = T0;
    const errors: unknown[] = [];
    const { store, pending } = manualStore();
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 5_000, onError: (e) => errors.push(e) });
    const first = reader.refresh();
    await flush();
    pending[0]?.resolve(JSON.stringify(snapshotAt(T0)));
    await first;

    now += 5_000;
    const scheduled: Array<Promise<void>> = [];
    reader.current((p) => scheduled.push(p));
    await flush();
    pending[1]?.reject(new Error('upstash down'));
    await scheduled[0];
    expect(errors).toEqual([new Error('upstash down')]);
    expect(reader.current((p) => scheduled.push(p))?.takenAt).toBe(T0);
    expect(scheduled).toHaveLength(1); // no retry storm: the failed read counts as a read
    now += 5_000;
    reader.current((p) => scheduled.push(p));
    expect(scheduled).toHaveLength(2);
  });

  it('survives a store that throws synchronously and a schedule that throws', async () => {
    const errors: unknown[] = [];
    const store = { ...manualStore().store, get: () => { throw new Error('sync boom'); } } as Store;
    const reader = new HealthSnapshotReader({ store, now: () => T0, onError: (e) => errors.push(e) });
    expect(() => reader.current(() => { throw new Error('waitUntil after response'); })).not.toThrow();
    await reader.refresh();
    expect(errors.map((e) => (e as Error).message)).toEqual(['waitUntil after response', 'sync boom']);
  });

  it('treats a snapshot older than maxAgeMs as absent', async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    await writeHealthSnapshot(store, snapshotAt(T0 - 1_000));
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 5_000, maxAgeMs: 60_000 });
    await reader.refresh();
    expect(reader.current()?.takenAt).toBe(T0 - 1_000);
    now = T0 + 59_000;
    expect(reader.current()).toBeDefined();
    now = T0 + 59_001;
    expect(reader.current()).toBeUndefined();
  });

  it('a corrupted stored value replaces the memo with no data, and is reported', async () => {
    let now = T0;
    const errors: unknown[] = [];
    const store = new MemoryStore({ now: () => now });
    await writeHealthSnapshot(store, snapshotAt(T0));
    const reader = new HealthSnapshotReader({ store, now: () => now, onError: (e) => errors.push(e) });
    await reader.refresh();
    expect(reader.current()).toBeDefined();
    await store.set(HEALTH_KEY, '{"takenAt":"yesterday","endpoints":{}}');
    now += 5_000;
    await reader.refresh();
    expect(reader.current()).toBeUndefined();
    expect(String(errors[0])).toMatch(/invalid health snapshot/);
  });

  it('abandons a read that never settles, and a late answer cannot overwrite a newer one', async () => {
    let now = T0;
    const { store, pending } = manualStore();
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 5_000, refreshTimeoutMs: 10_000 });
    const scheduled: Array<Promise<void>> = [];
    reader.current((p) => scheduled.push(p));
    now += 9_999;
    reader.current((p) => scheduled.push(p));
    expect(scheduled).toHaveLength(1);
    now += 1;
    reader.current((p) => scheduled.push(p));
    expect(scheduled).toHaveLength(2);
    await flush();
    pending[1]?.resolve(JSON.stringify(snapshotAt(T0 + 9_000)));
    await scheduled[1];
    pending[0]?.resolve(JSON.stringify(snapshotAt(T0 - 50_000)));
    await scheduled[0];
    expect(reader.current()?.takenAt).toBe(T0 + 9_000);
  });

  it('a missing key means no data', async () => {
    const reader = new HealthSnapshotReader({ store: new MemoryStore(), now: () => T0 });
    await reader.refresh();
    expect(reader.current()).toBeUndefined();
  });
});
