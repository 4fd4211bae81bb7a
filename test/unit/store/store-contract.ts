// The behaviour every Store must share, run against each implementation.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.ts';

export interface ContractSubject {
  /** A store with nothing in it. */
  fresh(): Promise<Store>;
  /** Lets `ms` milliseconds pass: a fake clock for local stores, real waiting for Redis. */
  advance(ms: number): Promise<void>;
  /** Whether hashes honour `ttlSeconds` (the CLI's key file keeps them whole). */
  hashTtl?: boolean;
}

export function storeContract(name: string, subject: ContractSubject): void {
  describe(`${name}: the Store contract`, () => {
    it('gets what it set, null for a missing key, and nothing after del', async () => {
      const store = await subject.fresh();
      expect(await store.get('missing')).toBeNull();
      await store.set('k', 'v1');
      expect(await store.get('k')).toBe('v1');
      await store.set('k', 'v2');
      expect(await store.get('k')).toBe('v2');
      await store.del('k');
      expect(await store.get('k')).toBeNull();
      await store.del('never-there');
    });

    it('returns values exactly as stored, even when they look like JSON', async () => {
      const store = await subject.fresh();
      const values = ['42', '1.50', 'true', 'null', '{"a":1}', '[1,2]', '"quoted"', '', 'héllo ✓ 🚀', ' padded ', '12345678901234567890'];
      for (const [i, value] of values.entries()) await store.set(`v${i}`, value);
      for (const [i, value] of values.entries()) expect(await store.get(`v${i}`)).toBe(value);
      for (const [i, value] of values.entries()) await store.hset('h', `f${i}`, value);
      expect(await store.hgetall('h')).toEqual(Object.fromEntries(values.map((value, i) => [`f${i}`, value])));
    });

    it('expires a key after its TTL, and a later set without TTL keeps it', async () => {
      const store = await subject.fresh();
      await store.set('short', 'x', { ttlSeconds: 1 });
      await store.set('kept', 'y', { ttlSeconds: 1 });
      await store.set('kept', 'y2');
      expect(await store.get('short')).toBe('x');
      await subject.advance(1200);
      expect(await store.get('short')).toBeNull();
      expect(await store.get('kept')).toBe('y2');
    });

    it('rejects a TTL that is not a positive number', async () => {
      const store = await subject.fresh();
      for (const ttlSeconds of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        await expect(store.set('k', 'v', { ttlSeconds })).rejects.toThrow(RangeError);
      }
    });

    it('keeps hash fields: hset, hget, hgetall, hdel', async () => {
      const store = await subject.fresh();
      expect(await store.hget('h', 'a')).toBeNull();
      expect(await store.hgetall('h')).toEqual({});
      await store.hset('h', 'a', '1');
      await store.hset('h', 'b', '2');
      await store.hset('h', 'a', '3');
      expect(await store.hget('h', 'a')).toBe('3');
      expect(await store.hget('h', 'zzz')).toBeNull();
      expect(await store.hgetall('h')).toEqual({ a: '3', b: '2' });
      await store.hdel('h', 'a');
      await store.hdel('h', 'not-a-field');
      expect(await store.hgetall('h')).toEqual({ b: '2' });
      await store.hdel('h', 'b');
      expect(await store.hgetall('h')).toEqual({});
      // The emptied hash is gone: the key can hold a string now.
      await store.set('h', 'now a string');
      expect(await store.get('h')).toBe('now a string');
      await store.hdel('missing', 'f');
    });

    it('deletes a whole hash with del, and set replaces a hash', async () => {
      const store = await subject.fresh();
      await store.hset('h', 'a', '1');
      await store.del('h');
      expect(await store.hgetall('h')).toEqual({});
      await store.hset('h2', 'a', '1');
      await store.set('h2', 'string');
      expect(await store.get('h2')).toBe('string');
    });

    it('adds to hash fields, several hashes at once, fractions included', async () => {
      const store = await subject.fresh();
      await store.incrementHashes([
        { key: 'm', fields: { requests: 1, cost: 0.25 } },
        { key: 'n', fields: { requests: 2 } },
      ]);
      await store.incrementHashes([{ key: 'm', fields: { requests: 1, cost: 0.5, tokens: 12 } }]);
      await store.incrementHashes([]);
      const m = await store.hgetall('m');
      expect(Object.fromEntries(Object.entries(m).map(([f, v]) => [f, Number(v)]))).toEqual({ requests: 2, cost: 0.75, tokens: 12 });
      expect(Number(await store.hget('n', 'requests'))).toBe(2);
      const [mAgain, missing, n] = await store.hgetallMany(['m', 'missing', 'n']);
      expect(mAgain).toEqual(m);
      expect(missing).toEqual({});
      expect(Number(n?.['requests'])).toBe(2);
      expect(await store.hgetallMany([])).toEqual([]);
      await store.set('s', 'v');
      await expect(store.incrementHashes([{ key: 's', fields: { a: 1 } }])).rejects.toThrow(/WRONGTYPE/);
    });

    if (subject.hashTtl !== false) {
      it('expires a counted hash after the TTL its last write gave it', async () => {
        const store = await subject.fresh();
        await store.incrementHashes([{ key: 'bucket', fields: { n: 1 }, ttlSeconds: 1 }]);
        await store.incrementHashes([{ key: 'kept', fields: { n: 1 } }]);
        expect(Number(await store.hget('bucket', 'n'))).toBe(1);
        await subject.advance(1200);
        expect(await store.hgetall('bucket')).toEqual({});
        expect(Number(await store.hget('kept', 'n'))).toBe(1);
      });
    }

    it('refuses hash operations on a string and string reads of a hash, as Redis does', async () => {
      const store = await subject.fresh();
      await store.set('s', 'v');
      await store.hset('h', 'f', 'v');
      await expect(store.hset('s', 'f', 'v')).rejects.toThrow(/WRONGTYPE/);
      await expect(store.hget('s', 'f')).rejects.toThrow(/WRONGTYPE/);
      await expect(store.hgetall('s')).rejects.toThrow(/WRONGTYPE/);
      await expect(store.get('h')).rejects.toThrow(/WRONGTYPE/);
    });
  });
}
