import { describe, expect, it } from 'vitest';
import type { EndpointView } from '../../../../src/route/endpoint-view.ts';
import { leastConnections } from '../../../../src/route/balancers/least-connections.ts';
import { context, ids, picks, pool, stateOf, tally } from './pool.ts';

const inflight = (counts: Record<string, number>) =>
  stateOf(Object.fromEntries(Object.entries(counts).map(([id, n]): [string, Partial<EndpointView>] => [id, { inflight: n }])));

describe('the least-connections balancer', () => {
  it.each<[string, Record<string, number>, string[]]>([
    ['fewest in flight first', { a: 3, b: 0, c: 1 }, ['b', 'c', 'a']],
    ['unknown endpoints count as idle', { a: 2, c: 1 }, ['b', 'c', 'a']],
    ['large counts', { a: 100, b: 250, c: 99 }, ['c', 'a', 'b']],
  ])('orders by inflight: %s', (_what, counts, order) => {
    const balancer = leastConnections();
    // Whatever the rotation, distinct counts give the same order.
    for (let i = 0; i < 3; i++) expect(ids(balancer.order(pool('a', 'b', 'c'), context({ state: inflight(counts) })))).toEqual(order);
  });

  it('rotates endpoints with equal inflight across calls: exactly even', () => {
    const counts = tally(picks(leastConnections(), pool('a', 'b', 'c'), context({ state: inflight({ a: 2, b: 2, c: 2 }) }), 300));
    expect(counts).toEqual({ a: 100, b: 100, c: 100 });
  });

  it('rotates only among the tied least-loaded', () => {
    const counts = tally(picks(leastConnections(), pool('a', 'b', 'c', 'd'), context({ state: inflight({ a: 1, b: 0, c: 5, d: 0 }) }), 100));
    expect(counts).toEqual({ b: 50, d: 50 });
  });

  it('follows inflight as it changes between calls', () => {
    const balancer = leastConnections();
    const live: Record<string, number> = { a: 0, b: 0, c: 0 };
    const ctx = context({ state: { now: 0, probeIntervalMs: 60_000, endpoint: (id) => ({ ...inflight(live).endpoint(id) }) } });
    // Each pick stays in flight: least-connections must then spread them evenly.
    for (let i = 0; i < 30; i++) {
      const id = balancer.order(pool('a', 'b', 'c'), ctx)[0]?.endpoint.id ?? '-';
      live[id] = (live[id] ?? 0) + 1;
    }
    expect(live).toEqual({ a: 10, b: 10, c: 10 });
  });
});
