import { describe, expect, it } from 'vitest';
import { consistentHash } from '../../../../src/route/balancers/consistent-hash.ts';
import { fmix32, fnv1a } from '../../../../src/route/balancers/hash32.ts';
import type { Candidate } from '../../../../src/route/types.ts';
import { context, ids, picks, pool, seeded, tally } from './pool.ts';

const KEYS = 10_000;

/** Session keys as clients send them: random UUID-like strings, and sequential user ids. */
function randomKeys(seed: number): string[] {
  const random = seeded(seed);
  const hex = () => Math.floor(random() * 0x100000000).toString(16).padStart(8, '0');
  return Array.from({ length: KEYS }, () => `${hex()}-${hex().slice(0, 4)}-4${hex().slice(0, 3)}-${hex()}${hex().slice(0, 4)}`);
}
const sequentialKeys = Array.from({ length: KEYS }, (_, i) => `user-${i}`);

const five = pool('us-east/llama/0', 'us-east/llama/1', 'us-east/llama/2', 'us-east/llama/3', 'us-east/llama/4');

/** Where each key lands, by key. */
function assign(keys: readonly string[], list: readonly Candidate[]): Map<string, string> {
  const balancer = consistentHash();
  const out = new Map<string, string>();
  for (const sessionKey of keys) out.set(sessionKey, balancer.order(list, context({ sessionKey }))[0]?.endpoint.id ?? '-');
  return out;
}

describe('the 32-bit hash', () => {
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('is FNV-1a (%j)', (text, hash) => {
    expect(fnv1a(text)).toBe(hash);
  });

  it('avalanches: flipping one input bit flips about half the output bits', () => {
    let flips = 0;
    let trials = 0;
    for (let x = 0; x < 2_000; x++) {
      for (let bit = 0; bit < 32; bit++) {
        let d = fmix32(fnv1a(`k${x}`)) ^ fmix32(fnv1a(`k${x}`) ^ (1 << bit));
        for (; d; d &= d - 1) flips++;
        trials++;
      }
    }
    expect(Math.abs(flips / trials - 16)).toBeLessThan(0.2);
  });
});

describe('the consistent-hash balancer', () => {
  it.each([
    ['random session keys', randomKeys(11)],
    ['sequential user ids', sequentialKeys],
  ])('spreads %s over 5 endpoints within ±10% of 2,000 each', (_what, keys) => {
    const counts = tally([...assign(keys, five).values()]);
    expect(Object.keys(counts)).toHaveLength(5);
    for (const n of Object.values(counts)) expect(Math.abs(n - 2_000)).toBeLessThanOrEqual(200);
  });

  it('sends the same key to the same endpoint across calls and across instances', () => {
    const keys = randomKeys(12).slice(0, 500);
    const first = assign(keys, five);
    expect(assign(keys, five)).toEqual(first);
    const one = consistentHash();
    for (const sessionKey of keys.slice(0, 50)) {
      for (let i = 0; i < 3; i++) expect(one.order(five, context({ sessionKey }))[0]?.endpoint.id).toBe(first.get(sessionKey));
    }
  });

  it('does not depend on the order the pool comes in', () => {
    const keys = randomKeys(13).slice(0, 1_000);
    expect(assign(keys, five.slice().reverse())).toEqual(assign(keys, five));
  });

  it('moves only the removed endpoint’s keys, spread over the rest, each to its own fallback', () => {
    const keys = randomKeys(14);
    const before = assign(keys, five);
    const gone = 'us-east/llama/2';
    const after = assign(keys, five.filter((c) => c.endpoint.id !== gone));
    const balancer = consistentHash();
    const moved: string[] = [];
    for (const key of keys) {
      if (before.get(key) !== gone) expect(after.get(key)).toBe(before.get(key));
      else {
        moved.push(after.get(key) ?? '-');
        // HRW's promise: the new home is the second of the old ranking.
        expect(after.get(key)).toBe(balancer.order(five, context({ sessionKey: key }))[1]?.endpoint.id);
      }
    }
    const counts = tally(moved);
    expect(Object.keys(counts)).toHaveLength(4);
    for (const n of Object.values(counts)) expect(Math.abs(n - moved.length / 4)).toBeLessThan(moved.length / 4 / 5);
  });

  it('moves about 1/6 of the keys when a sixth endpoint joins, all onto it', () => {
    const keys = randomKeys(15);
    const before = assign(keys, five);
    const six = [...five, ...pool('us-east/llama/5')];
    const after = assign(keys, six);
    let moved = 0;
    for (const key of keys) {
      if (after.get(key) === before.get(key)) continue;
      moved++;
      expect(after.get(key)).toBe('us-east/llama/5');
    }
    expect(Math.abs(moved / KEYS - 1 / 6)).toBeLessThan(0.02);
  });

  it.each([
    [[1, 2, 3, 4]],
    [[1, 1, 3]],
    [[5, 1, 1]],
  ])('gives weights %j shares in proportion (within ±10%)', (weights) => {
    const list = weights.map((w, i) => pool(`w${i}:${w}`)[0] as Candidate);
    const counts = tally([...assign(randomKeys(16), list).values()]);
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, i) => expect(Math.abs((counts[`w${i}`] ?? 0) / (KEYS * (w / total)) - 1)).toBeLessThan(0.1));
  });

  it('ranks the whole pool: the fallbacks are the rest of the HRW order', () => {
    const balancer = consistentHash();
    const order = ids(balancer.order(five, context({ sessionKey: 'abc' })));
    // Removing the pick leaves the rest of the ranking unchanged.
    const rest = five.filter((c) => c.endpoint.id !== order[0]);
    expect(ids(balancer.order(rest, context({ sessionKey: 'abc' })))).toEqual(order.slice(1));
  });

  it.each([
    ['no session key', undefined],
    ['an empty session key', ''],
  ])('falls back to round robin with %s: exactly even', (_what, sessionKey) => {
    const seq = picks(consistentHash(), five, context({ sessionKey }), 500);
    expect(Object.values(tally(seq))).toEqual([100, 100, 100, 100, 100]);
    expect(seq.every((id, i) => i === 0 || id !== seq[i - 1])).toBe(true);
  });
});
