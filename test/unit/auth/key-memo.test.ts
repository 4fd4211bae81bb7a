import { describe, expect, it } from 'vitest';
import { KeyMemo } from '../../../src/auth/key-memo.ts';
import type { KeyRecord } from '../../../src/auth/key-record.ts';

const record = (n: number): KeyRecord => ({
  id: `key_${String(n).padStart(12, '0')}`,
  hash: String(n).padStart(64, '0'),
  tenant: 't',
  label: '',
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('KeyMemo', () => {
  it('forgets an entry after its TTL', () => {
    let now = 0;
    const memo = new KeyMemo(1000, 10, () => now);
    memo.set('a', record(1));
    now = 999;
    expect(memo.get('a')).toEqual(record(1));
    now = 1000;
    expect(memo.get('a')).toBeUndefined();
  });

  it('evicts the least recently used entry beyond its bound', () => {
    const memo = new KeyMemo(60_000, 2, () => 0);
    memo.set('a', record(1));
    memo.set('b', record(2));
    memo.get('a'); // a is now more recent than b
    memo.set('c', record(3));
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')).toEqual(record(1));
    expect(memo.get('c')).toEqual(record(3));
  });

  it('keeps the recency order when the most recent entry is asked again and again', () => {
    const memo = new KeyMemo(60_000, 3, () => 0);
    memo.set('a', record(1));
    memo.set('b', record(2));
    memo.get('b'); // already the most recent: stays last
    memo.get('b');
    memo.get('a'); // a is now the most recent, then b, then nothing older
    memo.get('a');
    memo.set('c', record(3)); // order: b, a, c
    memo.get('b'); // order: a, c, b
    memo.set('d', record(4)); // evicts a
    expect(memo.get('a')).toBeUndefined();
    expect(memo.get('c')).toEqual(record(3));
    memo.clear();
    memo.set('e', record(5));
    memo.set('f', record(6));
    memo.get('e'); // order: f, e
    memo.set('g', record(7));
    memo.set('h', record(8)); // evicts f
    expect(memo.get('f')).toBeUndefined();
    expect(memo.get('e')).toEqual(record(5));
  });

  it('keeps nothing when its TTL is 0', () => {
    const memo = new KeyMemo(0, 10, () => 0);
    memo.set('a', record(1));
    expect(memo.get('a')).toBeUndefined();
  });
});
