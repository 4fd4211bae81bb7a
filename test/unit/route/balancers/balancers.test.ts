import { describe, expect, it } from 'vitest';
import { LOAD_BALANCERS } from '../../../../src/fleet/schema.ts';
import { BALANCERS } from '../../../../src/route/balancers/balancer.ts';
import { context, ids, pool, seeded, stateOf } from './pool.ts';

// What every balancer owes the forwarder, whatever its policy.
describe.each(LOAD_BALANCERS)('the %s balancer', (type) => {
  const ctx = context({
    state: stateOf({ a: { inflight: 2, latencyMs: 50 }, c: { inflight: 1, latencyMs: 5 } }),
    sessionKey: 'session-1',
    random: seeded(7),
  });

  it('is registered under its own type', () => {
    expect(BALANCERS[type]().type).toBe(type);
  });

  it('orders a permutation of the pool: never drops or repeats a candidate', () => {
    const balancer = BALANCERS[type]();
    const list = pool('a', 'b:3', 'c', 'd:2', 'e');
    for (let i = 0; i < 50; i++) expect(ids(balancer.order(list, ctx)).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('handles an empty pool and a pool of one', () => {
    const balancer = BALANCERS[type]();
    expect(balancer.order([], ctx)).toEqual([]);
    expect(ids(balancer.order(pool('a'), ctx))).toEqual(['a']);
  });

  it('does not reorder the caller’s array', () => {
    const list = pool('a', 'b', 'c', 'd');
    const balancer = BALANCERS[type]();
    for (let i = 0; i < 10; i++) balancer.order(list, ctx);
    expect(ids(list)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('copes with the pool changing between calls', () => {
    const balancer = BALANCERS[type]();
    const pools = [pool('a', 'b', 'c'), pool('a', 'c'), pool('c'), pool('b', 'c', 'd'), pool('a', 'b', 'c', 'd')];
    for (let i = 0; i < 100; i++) {
      const list = pools[i % pools.length] ?? [];
      expect(ids(balancer.order(list, ctx)).sort()).toEqual(ids(list).sort());
    }
  });
});
