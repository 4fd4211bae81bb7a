// Key lifecycle: expiry, updates (limits, budgets, models, scope), rotation with a grace
// period, and how changes reach other instances (the policy version), over the embedded store
// and real Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys, InvalidKeyChangeError, InvalidNewKeyError, KEYS_HASH, UnknownKeyError } from '../../../src/auth/api-keys.ts';
import { PolicyVersion } from '../../../src/auth/policy-version.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { Store } from '../../../src/store/store.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { InvalidTenantError, Tenants, UnknownTenantError } from '../../../src/tenants/tenants.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';

const T0 = Date.parse('2026-12-04T10:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
});

const STORES: [string, () => Promise<Store>][] = [
  ['MemoryStore', async () => new MemoryStore()],
  [
    'UpstashStore (real Redis)',
    async () => {
      await redis.command(['FLUSHDB']);
      return UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token });
    },
  ],
];

describe.each(STORES)('key lifecycle over %s', (_, fresh) => {
  const clock = () => {
    const state = { now: T0 };
    return { state, now: () => state.now };
  };

  it('refuses a key after its expiry, and a new key that would expire in the past', async () => {
    const { state, now } = clock();
    const keys = new ApiKeys(await fresh(), { now, memoTtlMs: 60_000 });
    const { key, record } = await keys.create({ tenant: 'acme', expiresAt: at(T0 + 60_000) });
    expect(record.expiresAt).toBe('2026-12-04T10:01:00.000Z');
    expect(await keys.verify(key)).toEqual(record);
    state.now = T0 + 59_999;
    expect(await keys.verify(key)).toEqual(record);
    state.now = T0 + 60_000;
    expect(await keys.verify(key)).toBeNull();
    await expect(keys.create({ tenant: 'acme', expiresAt: at(T0 - 1) })).rejects.toThrow(/expiresAt: must be in the future/);
    await expect(keys.create({ tenant: 'acme', expiresAt: 'tomorrow' })).rejects.toThrow(InvalidNewKeyError);
  });

  it('stores limits, budgets and a model allow-list on the record, and refuses malformed ones', async () => {
    const keys = new ApiKeys(await fresh());
    const { record } = await keys.create({
      tenant: 'acme',
      models: ['llama-3.1-8b'],
      limits: { rpm: 60, tpm: 100_000, concurrency: 4 },
      budgets: { daily: { tokens: 1_000_000 }, monthly: { usd: 250 } },
    });
    expect(await keys.get(record.id)).toEqual(record);
    expect(record).toMatchObject({ models: ['llama-3.1-8b'], limits: { rpm: 60, tpm: 100_000, concurrency: 4 }, budgets: { monthly: { usd: 250 } } });
    for (const bad of [{ limits: { rpm: 0 } }, { limits: { rpm: 1.5 } }, { limits: { rps: 3 } }, { budgets: { weekly: { tokens: 3 } } }, { budgets: { daily: { usd: -1 } } }, { models: [] }, { unknown: true }]) {
      await expect(keys.create({ tenant: 'acme', ...bad } as never)).rejects.toThrow(InvalidNewKeyError);
    }
  });

  it('updates a key in place: given fields replace, null removes, the secret stays', async () => {
    const { state, now } = clock();
    const keys = new ApiKeys(await fresh(), { now });
    const { key, record } = await keys.create({ tenant: 'acme', label: 'ci', limits: { rpm: 10 }, models: ['a'], regions: ['us-east'] });
    state.now += 1000;
    const updated = await keys.update(record.id, { label: 'ci-2', limits: { rpm: 20, tpm: 5000 }, models: null, regions: null, role: 'admin' });
    expect(updated).toEqual({
      ...record,
      label: 'ci-2',
      limits: { rpm: 20, tpm: 5000 },
      role: 'admin',
      updatedAt: at(T0 + 1000),
      models: undefined,
      regions: undefined,
    });
    expect(updated).not.toHaveProperty('models');
    expect(await keys.verify(key)).toEqual(updated);
    expect(await keys.update(record.id, { role: 'client' })).not.toHaveProperty('role');
    await expect(keys.update(record.id, { tenant: 'other' } as never)).rejects.toThrow(InvalidKeyChangeError);
    await expect(keys.update(record.id, { limits: { rpm: -1 } })).rejects.toThrow(InvalidKeyChangeError);
    await expect(keys.update('key_000000000000', { label: 'x' })).rejects.toThrow(UnknownKeyError);
    await keys.revoke(record.id);
    await expect(keys.update(record.id, { label: 'x' })).rejects.toThrow(/is revoked/);
  });

  it('rotates: a new secret for the same id, the old one valid for the grace period only', async () => {
    const { state, now } = clock();
    const store = await fresh();
    const keys = new ApiKeys(store, { now, memoTtlMs: 60_000 });
    const { key: first, record } = await keys.create({ tenant: 'acme', limits: { rpm: 5 } });
    expect(await keys.verify(first)).toEqual(record); // memoized under the first secret

    const rotation = await keys.rotate(record.id, { graceSeconds: 600 });
    expect(rotation.key).not.toBe(first);
    expect(rotation.record).toMatchObject({ id: record.id, tenant: 'acme', limits: { rpm: 5 }, rotatedAt: at(T0) });
    expect(rotation.record.hash).not.toBe(record.hash);
    expect(rotation.previousValidUntil).toBe(at(T0 + 600_000));
    expect(await keys.verify(rotation.key)).toEqual(rotation.record);
    expect(await keys.verify(first)).toEqual(rotation.record);
    expect(await keys.list()).toEqual([rotation.record]); // the old secret is no second key
    // Another instance (a fresh memo) accepts the old secret too, until the grace period ends.
    const other = new ApiKeys(store, { now, memoTtlMs: 60_000 });
    expect(await other.verify(first)).toEqual(rotation.record);
    state.now = T0 + 599_999;
    expect(await other.verify(first)).toEqual(rotation.record);
    state.now = T0 + 600_000;
    expect(await other.verify(first)).toBeNull(); // even though the memo TTL (60 s) had not run out
    expect(await keys.verify(first)).toBeNull();
    expect(await keys.verify(rotation.key)).toEqual(rotation.record);
  });

  it('rotates twice: every secret still in its grace period follows to the newest one; revoking ends them all', async () => {
    const { state, now } = clock();
    const keys = new ApiKeys(await fresh(), { now });
    const { key: first, record } = await keys.create({ tenant: 'acme' });
    const second = await keys.rotate(record.id, { graceSeconds: 3600 });
    state.now += 1000;
    const third = await keys.rotate(record.id, { graceSeconds: 60 });
    for (const key of [first, second.key, third.key]) expect((await keys.verify(key))?.hash).toBe(third.record.hash);
    state.now += 61_000;
    expect(await keys.verify(second.key)).toBeNull(); // its own grace (60 s) is over
    expect(await keys.verify(first)).not.toBeNull(); // its grace (1 h) is not
    await keys.revoke(record.id);
    for (const key of [first, second.key, third.key]) expect(await keys.verify(key)).toBeNull();
    await expect(keys.rotate(record.id)).rejects.toThrow(/is revoked/);
  });

  it('rotates without a grace period: the old secret stops at once', async () => {
    const store = await fresh();
    const keys = new ApiKeys(store);
    const { key, record } = await keys.create({ tenant: 'acme' });
    const rotation = await keys.rotate(record.id, { graceSeconds: 0 });
    expect(rotation).not.toHaveProperty('previousValidUntil');
    expect(await keys.verify(key)).toBeNull();
    expect(Object.keys(await store.hgetall(KEYS_HASH))).toEqual([rotation.record.hash]);
    for (const graceSeconds of [-1, 1.5, 31 * 86400]) await expect(keys.rotate(record.id, { graceSeconds })).rejects.toThrow(InvalidKeyChangeError);
    await expect(keys.rotate('key_000000000000')).rejects.toThrow(UnknownKeyError);
  });

  it('reaches another instance through the policy version: within one check interval, without a read per request', async () => {
    const { state, now } = clock();
    const store = await fresh();
    const admin = new ApiKeys(store, { now });
    const gateway = new ApiKeys(store, { now, memoTtlMs: 300_000 });
    const { key, record } = await admin.create({ tenant: 'acme', limits: { rpm: 10 } });
    expect((await gateway.verify(key))?.limits).toEqual({ rpm: 10 });
    await admin.update(record.id, { limits: { rpm: 1 } });
    state.now += 500;
    expect((await gateway.verify(key))?.limits).toEqual({ rpm: 10 }); // checked at T0: not yet due
    state.now += 500;
    expect((await gateway.verify(key))?.limits).toEqual({ rpm: 1 });
  });
});

describe.each(STORES)('tenant records over %s', (_, fresh) => {
  it('creates, replaces, lists and deletes tenant limits and budgets', async () => {
    let now = T0;
    const tenants = new Tenants(await fresh(), { now: () => now });
    const { record, created } = await tenants.put('acme', { limits: { rpm: 100 }, budgets: { monthly: { usd: 1000 } } });
    expect(created).toBe(true);
    expect(record).toEqual({ tenant: 'acme', limits: { rpm: 100 }, budgets: { monthly: { usd: 1000 } }, createdAt: at(T0), updatedAt: at(T0) });
    now += 1000;
    const replaced = await tenants.put('acme', { label: 'Acme Corp', limits: { concurrency: 8 } });
    expect(replaced).toEqual({ created: false, record: { tenant: 'acme', label: 'Acme Corp', limits: { concurrency: 8 }, createdAt: at(T0), updatedAt: at(T0 + 1000) } });
    await tenants.put('globex', {});
    expect((await tenants.list()).map((t) => t.tenant)).toEqual(['acme', 'globex']);
    expect(await tenants.get('acme')).toEqual(replaced.record);
    expect(await tenants.delete('globex')).toMatchObject({ tenant: 'globex' });
    await expect(tenants.get('globex')).rejects.toThrow(UnknownTenantError);
    await expect(tenants.delete('globex')).rejects.toThrow(UnknownTenantError);
    await expect(tenants.put('not a name', {})).rejects.toThrow(InvalidTenantError);
    await expect(tenants.put('acme', { limits: { rpm: 0 } })).rejects.toThrow(InvalidTenantError);
    await expect(tenants.put('acme', { rpm: 3 } as never)).rejects.toThrow(InvalidTenantError);
  });

  it('answers the hot path from memory, misses included, and sees changes through the shared version', async () => {
    let now = T0;
    const store = await fresh();
    const version = new PolicyVersion(store, { now: () => now });
    const gateway = new Tenants(store, { version, now: () => now });
    const admin = new Tenants(store, { now: () => now });
    expect(await gateway.lookup('acme')).toBeNull();
    await admin.put('acme', { limits: { rpm: 5 } });
    expect(await gateway.lookup('acme')).toBeNull(); // the miss is remembered until the next check
    now += 1000;
    expect(await gateway.lookup('acme')).toMatchObject({ limits: { rpm: 5 } });
    // A key change moves the same stamp the tenant memo listens to.
    const keys = new ApiKeys(store, { now: () => now });
    const { record } = await keys.create({ tenant: 'other' });
    await store.hset('switchyard:tenants', 'acme', JSON.stringify({ tenant: 'acme', limits: { rpm: 6 }, createdAt: at(now), updatedAt: at(now) }));
    await keys.update(record.id, { label: 'moved' });
    now += 1000;
    expect(await gateway.lookup('acme')).toMatchObject({ limits: { rpm: 6 } });
  });
});
