import { describe, expect, it } from 'vitest';
import type { EndpointView } from '../../../../src/route/endpoint-view.ts';
import { p2cEwma } from '../../../../src/route/balancers/p2c-ewma.ts';
import type { RouteState } from '../../../../src/route/types.ts';
import { context, ids, picks, pool, seeded, stateOf, tally } from './pool.ts';

const CALLS = 1_000;
const share = (seq: readonly string[], id: string) => (tally(seq)[id] ?? 0) / seq.length;
const run = (list: string[], state: RouteState, seed = 42) => picks(p2cEwma(), pool(...list), context({ state, random: seeded(seed) }), CALLS);

describe('the p2c-ewma balancer', () => {
  it.each([1, 2, 3])('gives the fast endpoint of two the clear majority (seed %i)', (seed) => {
    const seq = run(['fast', 'slow'], stateOf({ fast: { latencyMs: 10 }, slow: { latencyMs: 200 } }), seed);
    expect(share(seq, 'fast')).toBeGreaterThan(0.7);
  });

  it('with 4 endpoints, picks the k-th cheapest (of n) with probability (n − k) / C(n, 2)', () => {
    const state = stateOf({ a: { latencyMs: 10 }, b: { latencyMs: 50 }, c: { latencyMs: 100 }, d: { latencyMs: 200 } });
    const seq = run(['d', 'c', 'b', 'a'], state);
    const expected = { a: 3 / 6, b: 2 / 6, c: 1 / 6, d: 0 };
    for (const [id, p] of Object.entries(expected)) expect(Math.abs(share(seq, id) - p)).toBeLessThan(0.05);
    // The slowest gets the fewest.
    expect(share(seq, 'd')).toBeLessThan(Math.min(share(seq, 'a'), share(seq, 'b'), share(seq, 'c')));
  });

  it.each<[string, Record<string, Partial<EndpointView>>, string]>([
    ['inflight raises cost: 10 ms × 30 in flight loses to 200 ms idle', { fast: { latencyMs: 10, inflight: 30 }, slow: { latencyMs: 200 } }, 'slow'],
    ['inflight raises cost: 10 ms × 10 in flight beats 200 ms idle', { fast: { latencyMs: 10, inflight: 10 }, slow: { latencyMs: 200 } }, 'fast'],
    ['no latency known anywhere: inflight alone decides', { fast: { inflight: 0 }, slow: { inflight: 4 } }, 'fast'],
  ])('%s', (_what, views, winner) => {
    expect(share(run(['fast', 'slow'], stateOf(views)), winner)).toBe(1);
  });

  it('treats an unknown latency as neutral: the mean of the known ones', () => {
    const state = stateOf({ fast: { latencyMs: 10 }, slow: { latencyMs: 200 } });
    // Costed at 105, the newcomer beats slow (200) and loses to fast (10): it wins exactly the
    // draws that pair it with slow, a third of them.
    const seq = run(['slow', 'new', 'fast'], state);
    expect(Math.abs(share(seq, 'new') - 1 / 3)).toBeLessThan(0.05);
    expect(Math.abs(share(seq, 'fast') - 2 / 3)).toBeLessThan(0.05);
    expect(share(seq, 'slow')).toBe(0);
    // Alone with an equal peer, it is neither favoured nor shunned.
    const even = share(run(['known', 'new'], stateOf({ known: { latencyMs: 80 } })), 'new');
    expect(Math.abs(even - 0.5)).toBeLessThan(0.05);
  });

  it('spreads evenly over equal endpoints', () => {
    const seq = run(['a', 'b', 'c', 'd'], stateOf({ a: { latencyMs: 30 }, b: { latencyMs: 30 }, c: { latencyMs: 30 }, d: { latencyMs: 30 } }));
    for (const id of ['a', 'b', 'c', 'd']) expect(Math.abs(share(seq, id) - 0.25)).toBeLessThan(0.05);
  });

  it('orders winner, loser, then the rest cheapest first', () => {
    const state = stateOf({ a: { latencyMs: 10 }, b: { latencyMs: 50 }, c: { latencyMs: 100 }, d: { latencyMs: 200 } });
    const balancer = p2cEwma();
    const cost = { a: 10, b: 50, c: 100, d: 200 } as Record<string, number>;
    for (let i = 0; i < 50; i++) {
      const [win = '', lose = '', ...rest] = ids(balancer.order(pool('c', 'a', 'd', 'b'), context({ state, random: seeded(i) })));
      expect(cost[win]).toBeLessThan(cost[lose] ?? 0);
      expect(rest).toEqual(rest.slice().sort((x, y) => (cost[x] ?? 0) - (cost[y] ?? 0)));
    }
  });

  it('draws two distinct endpoints even when the generator returns 0 or 1', () => {
    for (const r of [0, 0.999999, 1]) {
      const order = ids(p2cEwma().order(pool('a', 'b', 'c'), context({ random: () => r })));
      expect(order.slice().sort()).toEqual(['a', 'b', 'c']);
    }
  });
});
