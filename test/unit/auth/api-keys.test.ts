// ApiKeys against the embedded store and against real Redis (through the REST bridge and the
// real @upstash/redis client).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeys,
  InvalidKeyRecordError,
  InvalidNewKeyError,
  KEYS_HASH,
  seedKeys,
  UnknownKeyError,
  type KeyRecord,
} from '../../../src/auth/api-keys.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import type { SetOptions, Store } from '../../../src/store/store.ts';
import { CountingStore } from '../../support/counting-store.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';

/** Remembers every key written, so everything the store holds can be read back and scanned. */
class WrittenKeysStore extends CountingStore {
  readonly strings = new Set<string>();
  readonly hashes = new Set<string>();
  override set(key: string, value: string, options?: SetOptions) { this.strings.add(key); return super.set(key, value, options); }
  override hset(key: string, field: string, value: string) { this.hashes.add(key); return super.hset(key, field, value); }
}

interface Subject {
  fresh(): Promise<Store>;
  /** Every key name, hash field and value the store holds. */
  everythingStored(store: Store): Promise<string[]>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function apiKeysSuite(name: string, subject: Subject): void {
  describe(`ApiKeys over ${name}`, () => {
    it('creates a key that verifies to its record', async () => {
      const store = await subject.fresh();
      const keys = new ApiKeys(store);
      const { key, record } = await keys.create({ tenant: 'acme', label: 'ci', regions: ['us-east', 'eu-west'], residency: ['eu'] });
      expect(key).toMatch(/^sy-[A-Za-z0-9_-]{40}$/);
      expect(record).toEqual({
        id: `key_${sha256(key).slice(0, 12)}`,
        hash: sha256(key),
        tenant: 'acme',
        label: 'ci',
        regions: ['us-east', 'eu-west'],
        residency: ['eu'],
        createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(await keys.verify(key)).toEqual(record);
      // A fresh instance (another isolate) reads it from the store.
      expect(await new ApiKeys(store).verify(key)).toEqual(record);
    });

    it('creates unscoped keys, and different keys every time', async () => {
      const keys = new ApiKeys(await subject.fresh());
      const first = await keys.create({ tenant: 'acme' });
      const second = await keys.create({ tenant: 'acme' });
      expect(first.key).not.toBe(second.key);
      expect(first.record).not.toHaveProperty('regions');
      expect(first.record).not.toHaveProperty('residency');
      expect(first.record.label).toBe('');
      expect(await keys.verify(second.key)).toEqual(second.record);
    });

    it('answers null for unknown, malformed and empty keys', async () => {
      const keys = new ApiKeys(await subject.fresh());
      const { key, record } = await keys.create({ tenant: 'acme' });
      const unknown = `sy-${'A'.repeat(40)}`;
      for (const presented of [unknown, '', 'sy-', key.slice(0, -1), `${key}x`, ` ${key}`, `Bearer ${key}`, key.replace('sy-', 'sk-'),
        `${key.slice(0, -1)}!`, record.hash, record.id, key.toUpperCase() === key ? unknown : key.toUpperCase()]) {
        expect(await keys.verify(presented)).toBeNull();
      }
      expect(await keys.verify(undefined as unknown as string)).toBeNull();
    });

    it('answers null once a key is revoked, even when the memo holds it', async () => {
      const store = await subject.fresh();
      const keys = new ApiKeys(store, { memoTtlMs: 60_000 });
      const { key, record } = await keys.create({ tenant: 'acme', label: 'to revoke' });
      const other = await keys.create({ tenant: 'acme' });
      expect(await keys.verify(key)).toEqual(record); // now memoized
      const revoked = await keys.revoke(record.id);
      expect(revoked).toEqual({ ...record, revokedAt: expect.stringMatching(/Z$/), updatedAt: revoked.revokedAt });
      expect(await keys.verify(key)).toBeNull();
      expect(await new ApiKeys(store).verify(key)).toBeNull();
      expect(await keys.verify(other.key)).toEqual(other.record);
      // Revoking again changes nothing.
      expect(await keys.revoke(record.id)).toEqual(revoked);
      expect((await keys.list()).find((listed) => listed.id === record.id)).toEqual(revoked);
    });

    it('refuses to revoke an unknown id with a typed error', async () => {
      const keys = new ApiKeys(await subject.fresh());
      await keys.create({ tenant: 'acme' });
      const error = await keys.revoke('key_000000000000').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnknownKeyError);
      expect(error).toMatchObject({ id: 'key_000000000000', message: 'unknown key id: key_000000000000' });
    });

    it('lists every key, revoked ones too, oldest first', async () => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const keys = new ApiKeys(await subject.fresh(), { now: () => (now += 1000) });
      const created = [];
      for (const tenant of ['a', 'b', 'c']) created.push((await keys.create({ tenant })).record);
      const revoked = await keys.revoke(created[1]?.id ?? '');
      expect(await keys.list()).toEqual([created[0], revoked, created[2]]);
    });

    it('never lets the raw key reach the store', async () => {
      const store = await subject.fresh();
      const keys = new ApiKeys(store);
      const raw: string[] = [];
      for (const tenant of ['a', 'b', 'c']) {
        const { key, record } = await keys.create({ tenant, label: `label ${tenant}`, regions: ['us-east'] });
        raw.push(key);
        await keys.verify(key);
        if (tenant === 'b') await keys.revoke(record.id);
      }
      const stored = await subject.everythingStored(store);
      expect(stored.length).toBeGreaterThanOrEqual(raw.length * 2);
      for (const key of raw) {
        const secret = key.slice('sy-'.length);
        for (const value of stored) expect(value.includes(secret)).toBe(false);
        expect(stored).toContain(sha256(key));
      }
    });

    it('refuses invalid key requests without writing anything', async () => {
      const store = await subject.fresh();
      const keys = new ApiKeys(store);
      for (const input of [{ tenant: '' }, { tenant: 'has space' }, { tenant: 'a:b' }, { tenant: 'ok', regions: [] }, { tenant: 'ok', residency: ['eu', ''] }, { tenant: 'ok', regions: ['a,b'] }]) {
        await expect(keys.create(input)).rejects.toThrow(InvalidNewKeyError);
      }
      expect(await store.hgetall(KEYS_HASH)).toEqual({});
    });

    it('treats a corrupted record as absent when verifying, and names it when listing', async () => {
      const store = await subject.fresh();
      const keys = new ApiKeys(store);
      const { key, record } = await keys.create({ tenant: 'acme' });
      await store.hset(KEYS_HASH, record.hash, JSON.stringify({ ...record, tenant: undefined }));
      expect(await new ApiKeys(store).verify(key)).toBeNull();
      await expect(keys.list()).rejects.toThrow(InvalidKeyRecordError);
    });

    it('does not accept a valid record filed under the presented key’s hash but made for another', async () => {
      const store = await subject.fresh();
      const { key, record } = await new ApiKeys(store).create({ tenant: 'acme' });
      await store.hset(KEYS_HASH, record.hash, JSON.stringify({ ...record, hash: 'f'.repeat(64), id: `key_${'f'.repeat(12)}` }));
      expect(await new ApiKeys(store).verify(key)).toBeNull();
    });

    it('seeds records (hashes only) that then verify in another store', async () => {
      const source = new ApiKeys(await subject.fresh());
      const live = await source.create({ tenant: 'acme', residency: ['eu'] });
      const dead = await source.create({ tenant: 'acme' });
      await source.revoke(dead.record.id);
      const exported = JSON.stringify(await source.list());
      expect(exported).not.toContain(live.key.slice(3));

      const target = await subject.fresh();
      const seeded = await seedKeys(target, exported);
      expect(seeded).toHaveLength(2);
      const keys = new ApiKeys(target);
      expect(await keys.verify(live.key)).toEqual(live.record);
      expect(await keys.verify(dead.key)).toBeNull();
    });
  });
}

apiKeysSuite('MemoryStore', {
  fresh: async () => new WrittenKeysStore(new MemoryStore()),
  async everythingStored(store) {
    if (!(store instanceof WrittenKeysStore)) throw new Error('expected the recording store');
    const values: string[] = [];
    for (const key of store.strings) values.push(key, (await store.get(key)) ?? '');
    for (const key of store.hashes) {
      values.push(key);
      for (const [field, value] of Object.entries(await store.hgetall(key))) values.push(field, value);
    }
    return values;
  },
});

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
});

apiKeysSuite('UpstashStore (real Redis)', {
  async fresh() {
    await redis.command(['FLUSHDB']);
    return UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token });
  },
  async everythingStored() {
    // Scan Redis itself, not the store's view of it.
    const values: string[] = [];
    for (const key of (await redis.command(['KEYS', '*'])) as string[]) {
      values.push(key);
      const type = await redis.command(['TYPE', key]);
      if (type === 'string') values.push(String(await redis.command(['GET', key])));
      else if (type === 'hash') values.push(...((await redis.command(['HGETALL', key])) as string[]));
      else throw new Error(`unexpected ${String(type)} at ${key}`);
    }
    return values;
  },
});

describe('ApiKeys memo', () => {
  it('answers repeated verifications from memory, without a store read', async () => {
    const store = new CountingStore(new MemoryStore());
    const keys = new ApiKeys(store, { memoTtlMs: 10_000 });
    const { key, record } = await keys.create({ tenant: 'acme' });
    await keys.verify(key);
    const reads = store.reads;
    for (let i = 0; i < 10; i += 1) expect(await keys.verify(key)).toEqual(record);
    expect(store.reads).toBe(reads);
  });

  it('still asks the store for keys it has not seen, so a new key works at once', async () => {
    const store = new MemoryStore();
    const gateway = new ApiKeys(store);
    const first = `sy-${'B'.repeat(40)}`;
    expect(await gateway.verify(first)).toBeNull();
    const { key } = await new ApiKeys(store).create({ tenant: 'acme' });
    expect(await gateway.verify(key)).not.toBeNull();
  });

  it('remembers keys the store does not know, for a while and up to a bound, so a client retrying a wrong key costs no reads', async () => {
    let now = 0;
    const store = new CountingStore(new MemoryStore());
    const gateway = new ApiKeys(store, { unknownTtlMs: 5_000, unknownMaxEntries: 3, now: () => now });
    const unknown = (c: string) => `sy-${c.repeat(40)}`;
    for (const c of ['a', 'b', 'c']) expect(await gateway.verify(unknown(c))).toBeNull();
    let reads = store.reads;
    for (const c of ['a', 'b', 'c']) expect(await gateway.verify(unknown(c))).toBeNull();
    expect(store.reads).toBe(reads);
    // A fourth pushes out the least recently seen (a): bounded, whatever a flood of guesses does.
    expect(await gateway.verify(unknown('d'))).toBeNull();
    reads = store.reads;
    expect(await gateway.verify(unknown('a'))).toBeNull();
    expect(store.reads).toBe(reads + 1);
    // And each is forgotten after its TTL.
    now = 5_000;
    reads = store.reads;
    expect(await gateway.verify(unknown('c'))).toBeNull();
    expect(store.reads).toBeGreaterThan(reads);
  });

  it('forgets its unknown keys when a key is created anywhere (the policy version moves)', async () => {
    let now = 0;
    const store = new MemoryStore();
    const gateway = new ApiKeys(store, { now: () => now });
    const admin = new ApiKeys(store, { now: () => now });
    const { key, record } = await admin.create({ tenant: 'acme' });
    await admin.revoke(record.id);
    // Seen unknown, then made known under the same hash (a record restored by an operator).
    const restored = { ...record };
    delete (restored as { revokedAt?: string }).revokedAt;
    await store.hdel('switchyard:keys', record.hash);
    expect(await gateway.verify(key)).toBeNull();
    await store.hset('switchyard:keys', record.hash, JSON.stringify(restored));
    expect(await gateway.verify(key)).toBeNull(); // remembered as unknown
    await admin.create({ tenant: 'other' });
    now = 1_000; // the next policy check sees the stamp the creation moved
    expect(await gateway.verify(key)).toMatchObject({ id: record.id });
  });

  it('sees a key revoked through another instance once it next checks the policy version (every second)', async () => {
    let now = 0;
    const store = new CountingStore(new MemoryStore());
    const gateway = new ApiKeys(store, { memoTtlMs: 60_000, now: () => now });
    const { key, record } = await new ApiKeys(store).create({ tenant: 'acme' });
    expect(await gateway.verify(key)).toEqual(record);
    await new ApiKeys(store).revoke(record.id);
    now = 999; // the last check was at 0: the memo still answers, without a store read
    const reads = store.reads;
    expect(await gateway.verify(key)).toEqual(record);
    expect(store.reads).toBe(reads);
    now = 1_000; // one GET of the version stamp, which moved: the memo is dropped
    expect(await gateway.verify(key)).toBeNull();
  });

  it('keeps answering from the memo, for its TTL, while the version stamp cannot be read', async () => {
    let now = 0;
    let down = false;
    const inner = new MemoryStore();
    const flaky = new (class extends CountingStore {
      override get(key: string) {
        return down ? Promise.reject(new Error('store down')) : super.get(key);
      }
    })(inner);
    const gateway = new ApiKeys(flaky, { memoTtlMs: 5_000, now: () => now });
    const { key, record } = await new ApiKeys(inner).create({ tenant: 'acme' });
    expect(await gateway.verify(key)).toEqual(record);
    down = true;
    now = 4_000;
    expect(await gateway.verify(key)).toEqual(record);
    now = 5_000;
    // The memo entry is gone and the record read (hget) still works: the key is verified afresh.
    expect(await gateway.verify(key)).toEqual(record);
  });

  it('sees another instance’s revocation at once when the memo is off', async () => {
    const store = new MemoryStore();
    const gateway = new ApiKeys(store, { memoTtlMs: 0 });
    const { key, record } = await new ApiKeys(store).create({ tenant: 'acme' });
    expect(await gateway.verify(key)).toEqual(record);
    await new ApiKeys(store).revoke(record.id);
    expect(await gateway.verify(key)).toBeNull();
  });
});

describe('seedKeys', () => {
  const valid = async (): Promise<KeyRecord[]> => {
    const keys = new ApiKeys(new MemoryStore());
    await keys.create({ tenant: 'acme' });
    return keys.list();
  };

  it('accepts the parsed array as well as JSON text', async () => {
    const records = await valid();
    const store = new MemoryStore();
    expect(await seedKeys(store, records)).toEqual(records);
    expect(Object.keys(await store.hgetall(KEYS_HASH))).toEqual(records.map((record) => record.hash));
  });

  it('validates everything before writing anything', async () => {
    const [record] = await valid();
    if (record === undefined) throw new Error('no record');
    const store = new MemoryStore();
    for (const input of ['not json', '{}', [record, { ...record, id: 'key_000000000000' }], [record, { ...record, hash: 'ABC' }], [{ ...record, createdAt: 'yesterday' }]]) {
      await expect(seedKeys(store, input)).rejects.toThrow(InvalidKeyRecordError);
    }
    expect(await store.hgetall(KEYS_HASH)).toEqual({});
  });
});
