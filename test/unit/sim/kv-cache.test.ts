import { describe, expect, it } from 'vitest';
import { blockHashes, KvCache } from '../../../infra/local/sim/kv-cache.ts';

/** n distinct token ids starting at `from`. */
const seq = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('block hashes', () => {
  it('cover full blocks only, chained: equal prefixes give equal leading hashes', () => {
    const a = blockHashes([...seq(0, 40)], 16);
    const b = blockHashes([...seq(0, 32), ...seq(900, 20)], 16);
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(3);
    expect(b.slice(0, 2)).toEqual(a);
  });

  it('chain over the previous block: the same block after a different prefix has a different hash', () => {
    const tail = seq(500, 16);
    const x = blockHashes([...seq(0, 16), ...tail], 16);
    const y = blockHashes([...seq(100, 16), ...tail], 16);
    expect(x[1]).not.toBe(y[1]);
  });

  it('a salt (cache_salt) separates otherwise equal prompts', () => {
    expect(blockHashes(seq(0, 16), 16, 'tenant-a')[0]).not.toBe(blockHashes(seq(0, 16), 16, 'tenant-b')[0]);
    expect(blockHashes(seq(0, 16), 16, 'tenant-a')).toEqual(blockHashes(seq(0, 16), 16, 'tenant-a'));
  });
});

describe('KvCache', () => {
  it('hits the shared full-block prefix of an earlier prompt, in tokens', () => {
    const kv = new KvCache({ numBlocks: 100, blockSize: 16 });
    const shared = seq(0, 48);
    expect(kv.allocate(1, [...shared, ...seq(1000, 10)], 70)?.cachedTokens).toBe(0);
    kv.release(1);
    const second = kv.allocate(2, [...shared, ...seq(2000, 30)], 90);
    expect(second?.cachedTokens).toBe(48);
    expect(kv.queries).toBe(58 + 78);
    expect(kv.hits).toBe(48);
  });

  it('does not count a shared prefix that ends inside a block', () => {
    const kv = new KvCache({ numBlocks: 100, blockSize: 16 });
    kv.allocate(1, seq(0, 40), 40);
    // 20 shared tokens: one full block (16) and 4 of the next.
    expect(kv.lookup([...seq(0, 20), ...seq(700, 30)])).toBe(16);
    // 15 shared tokens: no full block.
    expect(kv.lookup([...seq(0, 15), ...seq(700, 30)])).toBe(0);
  });

  it('always recomputes the last prompt token, like vLLM: an exact repeat of 2 blocks hits 1', () => {
    const kv = new KvCache({ numBlocks: 100, blockSize: 16 });
    kv.allocate(1, seq(0, 32), 32);
    kv.release(1);
    expect(kv.lookup(seq(0, 32))).toBe(16);
    expect(kv.lookup(seq(0, 33))).toBe(32);
  });

  it('shares blocks between running requests and counts usage of referenced blocks only', () => {
    const kv = new KvCache({ numBlocks: 10, blockSize: 16 });
    kv.allocate(1, seq(0, 32), 48); // 2 shared-able blocks + 1 reserved for output
    expect(kv.usage()).toBeCloseTo(0.3, 12);
    const b = kv.allocate(2, seq(0, 33), 33); // reuses both blocks, adds 1 for the partial block
    expect(b?.cachedTokens).toBe(32);
    expect(kv.usage()).toBeCloseTo(0.4, 12);
    kv.release(1);
    expect(kv.usage()).toBeCloseTo(0.3, 12); // the shared blocks are still referenced by 2
    kv.release(2);
    expect(kv.usage()).toBe(0);
    expect(kv.residentBlocks).toBe(2); // released full blocks stay cached
  });

  it('never evicts blocks a running request references: allocation fails instead, changing nothing', () => {
    const kv = new KvCache({ numBlocks: 4, blockSize: 16 });
    expect(kv.allocate(1, seq(0, 32), 32)).not.toBeNull();
    expect(kv.allocate(2, seq(100, 48), 48)).toBeNull();
    expect(kv.lookup(seq(0, 33))).toBe(32);
    expect(kv.usage()).toBe(0.5);
    expect(kv.queries).toBe(32);
    kv.release(1);
    expect(kv.allocate(2, seq(100, 48), 48)).not.toBeNull();
    expect(kv.lookup(seq(0, 33))).toBe(16); // one of request 1's blocks had to go
  });

  it('evicts unreferenced blocks least recently released first, a prompt tail before its head', () => {
    const kv = new KvCache({ numBlocks: 4, blockSize: 16 });
    const prompts = [seq(0, 16), seq(100, 16), seq(200, 16), seq(300, 16)];
    prompts.forEach((p, i) => {
      kv.allocate(i, p, 16);
      kv.release(i);
    });
    // Reusing prompt 0's block makes it the most recently used.
    kv.allocate(10, prompts[0]!, 16);
    kv.release(10);
    // The cache is full: one fresh block evicts the least recently released, prompt 1's.
    kv.allocate(11, seq(400, 16), 16);
    kv.release(11);
    const cached = (p: number[]) => kv.lookup([...p, 9]);
    expect(cached(prompts[1]!)).toBe(0);
    expect(cached(prompts[0]!)).toBe(16);
    expect(cached(prompts[2]!)).toBe(16);
    expect(cached(prompts[3]!)).toBe(16);

    const tails = new KvCache({ numBlocks: 3, blockSize: 16 });
    tails.allocate(1, seq(0, 32), 32);
    tails.release(1);
    tails.allocate(2, seq(500, 32), 32); // needs 2 blocks: 1 free + evict 1 of request 1's
    expect(tails.lookup(seq(0, 17))).toBe(16); // the head block survived, the tail went
    expect(tails.lookup(seq(0, 33))).toBe(16);
  });

  it('refuses a second allocation for the same request and ignores an unknown release', () => {
    const kv = new KvCache({ numBlocks: 4, blockSize: 16 });
    kv.allocate(1, seq(0, 16), 16);
    expect(() => kv.allocate(1, seq(0, 16), 16)).toThrow(/already holds/);
    kv.release(99);
    expect(kv.usage()).toBe(0.25);
    expect(() => new KvCache({ numBlocks: 0, blockSize: 16 })).toThrow(/numBlocks/);
  });
});
