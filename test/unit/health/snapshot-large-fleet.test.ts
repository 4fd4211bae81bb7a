// A large fleet on few servers: the snapshot holds one sample per endpoint, shared by the
// endpoints of one server. Writing it checks each distinct sample once, and a reader that finds
// the same stored text again keeps the snapshot it has (routing derives its passes from it).
import { describe, expect, it } from 'vitest';
import { HealthSnapshotReader } from '../../../src/health/snapshot-reader.ts';
import { HEALTH_KEY, HealthSnapshotSchema, type HealthSnapshot, writeHealthSnapshot } from '../../../src/health/snapshot.ts';
import type { HealthSample } from '../../../src/route/endpoint-view.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

const T0 = 1_700_000_000_000;

/** 300 endpoints on 3 servers: each server's sample object is shared by its endpoints. */
function sharedSnapshot(samples: readonly HealthSample[]): HealthSnapshot {
  const endpoints: Record<string, HealthSample> = {};
  for (let i = 0; i < 300; i++) endpoints[`r${i % 6}/m/${i}`] = samples[i % samples.length] as HealthSample;
  return { takenAt: T0, endpoints };
}

const SAMPLES: HealthSample[] = [
  { healthy: true, checkedAt: T0, waiting: 0, running: 3, kvCacheUsage: 0.2, served: ['m'] },
  { healthy: true, checkedAt: T0 + 1, served: ['m', 'other'] },
  { healthy: false, checkedAt: T0 + 2, error: 'connect: ECONNREFUSED' },
];

describe('the health snapshot of a large fleet on few servers', () => {
  it('is stored exactly as the whole-snapshot schema would write it, unknown fields stripped', async () => {
    const store = new MemoryStore();
    const withExtra = SAMPLES.map((s, i) => (i === 0 ? ({ ...s, ttftMs: 40 } as HealthSample) : s));
    const snapshot = sharedSnapshot(withExtra);
    await writeHealthSnapshot(store, snapshot);
    const stored = await store.get(HEALTH_KEY);
    expect(stored).toBe(JSON.stringify(HealthSnapshotSchema.parse(snapshot)));
    expect(stored).not.toContain('ttftMs');
    expect(Object.keys(JSON.parse(stored ?? '{}').endpoints)).toHaveLength(300);
  });

  it('refuses a snapshot with one bad shared sample, naming an endpoint that carries it', async () => {
    const store = new MemoryStore();
    const bad = sharedSnapshot([SAMPLES[0] as HealthSample, { healthy: true, checkedAt: T0, waiting: -1 }]);
    await expect(writeHealthSnapshot(store, bad)).rejects.toThrow(/r1\/m\/1/);
    expect(await store.get(HEALTH_KEY)).toBeNull();
    await expect(writeHealthSnapshot(store, { takenAt: Number.NaN, endpoints: {} })).rejects.toThrow(/takenAt/);
  });

  it('is decoded once per write: reading the same text again keeps the same snapshot', async () => {
    let now = T0;
    const store = new MemoryStore({ now: () => now });
    const reader = new HealthSnapshotReader({ store, now: () => now, memoMs: 1_000 });
    await writeHealthSnapshot(store, sharedSnapshot(SAMPLES));
    await reader.refresh();
    const first = reader.current();
    expect(first?.endpoints['r0/m/0']?.running).toBe(3);
    now += 1_000;
    await reader.refresh();
    expect(reader.current()).toBe(first);
    await writeHealthSnapshot(store, { ...sharedSnapshot(SAMPLES), takenAt: T0 + 10_000 });
    now += 1_000;
    await reader.refresh();
    expect(reader.current()).not.toBe(first);
    expect(reader.current()?.takenAt).toBe(T0 + 10_000);
    await store.del(HEALTH_KEY);
    now += 1_000;
    await reader.refresh();
    expect(reader.current()).toBeUndefined();
  });
});
