// Copies of cacheable streams held while they run: each bounded, and all of an isolate's
// together within one budget, so many long streams at once cannot fill a 128 MB isolate.
import { describe, expect, it } from 'vitest';
import { ResponseCache } from '../../../src/cache/response-cache.ts';
import { DEFAULT_EDGE_CACHE } from '../../../src/cache/policy.ts';

const chunk = (n: number) => new Uint8Array(n).fill(0x61);

describe('stream copies for the cache', () => {
  it('hold at most the budget across every stream in flight; past it a stream is relayed but not kept', () => {
    const cache = new ResponseCache({ policy: { ...DEFAULT_EDGE_CACHE, maxEntryBytes: 1_000 }, streamCopyBudgetBytes: 2_500 });
    const a = cache.collector();
    const b = cache.collector();
    const c = cache.collector();
    for (let i = 0; i < 3; i++) {
      for (const collector of [a, b, c]) {
        collector.add(chunk(400));
        expect(cache.streamCopyBytes).toBeLessThanOrEqual(2_500);
      }
    }
    // 1,200 each would be 3,600: the budget keeps two, the one that met it gives its copy up.
    expect([a, b, c].map((x) => x.text()?.length).sort()).toEqual([1_200, 1_200, undefined]);
    expect(cache.streamCopyBytes).toBe(0);
  });

  it('gives the budget back when a stream ends without being stored (cut, or its client left)', () => {
    const cache = new ResponseCache({ policy: { ...DEFAULT_EDGE_CACHE, maxEntryBytes: 1_000 }, streamCopyBudgetBytes: 1_000 });
    const cut = cache.collector();
    cut.add(chunk(900));
    expect(cache.streamCopyBytes).toBe(900);
    cut.discard();
    expect(cache.streamCopyBytes).toBe(0);
    const next = cache.collector();
    next.add(chunk(900));
    expect(next.text()?.length).toBe(900);
  });

  it('still drops a single stream past its own bound (four times the largest entry: SSE framing)', () => {
    const cache = new ResponseCache({ policy: { ...DEFAULT_EDGE_CACHE, maxEntryBytes: 100 }, streamCopyBudgetBytes: 1_000_000 });
    const long = cache.collector();
    for (let i = 0; i < 5; i++) long.add(chunk(100));
    expect(long.text()).toBeUndefined();
    expect(cache.streamCopyBytes).toBe(0);
  });
});
