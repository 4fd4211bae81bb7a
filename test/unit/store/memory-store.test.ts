import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { storeContract } from './store-contract.ts';

let now = 1_000_000;
storeContract('MemoryStore', {
  fresh: async () => new MemoryStore({ now: () => now }),
  advance: async (ms) => {
    now += ms;
  },
});

describe('MemoryStore', () => {
  it('is the embedded kind', () => {
    expect(new MemoryStore().kind).toBe('memory');
  });

  it('expires exactly at the TTL on the injected clock', async () => {
    let clock = 0;
    const store = new MemoryStore({ now: () => clock });
    await store.set('k', 'v', { ttlSeconds: 2 });
    clock = 1999;
    expect(await store.get('k')).toBe('v');
    clock = 2000;
    expect(await store.get('k')).toBeNull();
    expect(store.size).toBe(0);
  });

  it('rounds a sub-millisecond TTL up instead of expiring at once', async () => {
    let clock = 0;
    const store = new MemoryStore({ now: () => clock });
    await store.set('k', 'v', { ttlSeconds: 0.0001 });
    expect(await store.get('k')).toBe('v');
    clock = 1;
    expect(await store.get('k')).toBeNull();
  });

  it('sweeps expired keys that are never read again, so they cannot pile up', async () => {
    let clock = 0;
    const store = new MemoryStore({ now: () => clock });
    for (let i = 0; i < 2000; i += 1) await store.set(`old${i}`, 'v', { ttlSeconds: 1 });
    clock = 5000;
    for (let i = 0; i < 2000; i += 1) await store.set(`new${i}`, 'v');
    // Every expired key was swept by an amortized pass; only the live ones remain.
    expect(store.size).toBeLessThanOrEqual(2000);
    expect(await store.get('new1999')).toBe('v');
  });
});
