// A store restart must not lock out keys that were working a moment ago: while the store cannot
// be read, a key this instance verified recently is served from memory past the memo's TTL, for
// a bounded time; revoked, expired and never-seen keys are not.
import { describe, expect, it } from 'vitest';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { StoreUnavailableError } from '../../../src/store/guarded-read.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';

/** The embedded store, with a switch that makes every call fail as a refused connection would. */
function switchableStore(): { store: Store; down: (yes: boolean) => void } {
  const memory = new MemoryStore();
  let isDown = false;
  const store = new Proxy(memory, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => (isDown ? Promise.reject(new Error('connect ECONNREFUSED')) : (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { store, down: (yes) => (isDown = yes) };
}

const MEMO_TTL_MS = 30_000;

function setup(staleIfErrorMs?: number) {
  const { store, down } = switchableStore();
  let now = Date.parse('2026-12-04T09:00:00Z');
  const admin = new ApiKeys(store, { memoTtlMs: 0, now: () => now });
  const gateway = new ApiKeys(store, { memoTtlMs: MEMO_TTL_MS, storeRestMs: 1, now: () => now, ...(staleIfErrorMs === undefined ? {} : { staleIfErrorMs }) });
  return { admin, gateway, down, advance: (ms: number) => (now += ms) };
}

describe('key lookups while the store is down, past the memo', () => {
  it('serve a key verified before the outage for minutes, then refuse it with 503', async () => {
    const { admin, gateway, down, advance } = setup();
    const { key, record } = await admin.create({ tenant: 'acme' });
    expect((await gateway.verify(key))?.id).toBe(record.id);
    down(true);
    advance(MEMO_TTL_MS + 5_000); // the memo alone would ask the store now
    expect((await gateway.verify(key))?.id).toBe(record.id);
    advance(5 * 60_000);
    expect((await gateway.verify(key))?.id).toBe(record.id);
    advance(10 * 60_000); // past the stale bound (10 minutes after the TTL)
    await expect(gateway.verify(key)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('never serve a key this instance has not verified, and stop at once when turned off', async () => {
    const { admin, gateway, down, advance } = setup(0);
    const seen = await admin.create({ tenant: 'acme' });
    const unseen = await admin.create({ tenant: 'acme' });
    await gateway.verify(seen.key);
    down(true);
    advance(MEMO_TTL_MS + 1);
    await expect(gateway.verify(seen.key)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(gateway.verify(unseen.key)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('still refuse a stale key once its own expiry has passed', async () => {
    const { admin, gateway, down, advance } = setup();
    const { key } = await admin.create({ tenant: 'acme', expiresAt: new Date(Date.parse('2026-12-04T09:00:00Z') + MEMO_TTL_MS + 60_000).toISOString() });
    expect(await gateway.verify(key)).not.toBeNull();
    down(true);
    advance(MEMO_TTL_MS + 30_000);
    expect(await gateway.verify(key)).not.toBeNull();
    advance(60_000);
    expect(await gateway.verify(key)).toBeNull();
  });

  it('answer from the store again once it is back (a revocation made meanwhile applies)', async () => {
    const { admin, gateway, down, advance } = setup();
    const { key, record } = await admin.create({ tenant: 'acme' });
    await gateway.verify(key);
    down(true);
    advance(MEMO_TTL_MS + 1);
    expect((await gateway.verify(key))?.id).toBe(record.id);
    down(false);
    await admin.revoke(record.id);
    advance(2_000);
    expect(await gateway.verify(key)).toBeNull();
  });
});
