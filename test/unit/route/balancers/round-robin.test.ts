import { describe, expect, it } from 'vitest';
import { roundRobin } from '../../../../src/route/balancers/round-robin.ts';
import { context, ids, picks, pool, seeded, tally } from './pool.ts';

describe('the round-robin balancer', () => {
  it.each([
    [3, 100],
    [4, 25],
    [7, 13],
  ])('gives %i endpoints exactly %i picks each over n·k calls', (n, k) => {
    const list = pool(...Array.from({ length: n }, (_, i) => `e${i}`));
    const counts = tally(picks(roundRobin(), list, context(), n * k));
    expect(Object.values(counts)).toEqual(Array.from({ length: n }, () => k));
  });

  it('orders the fallbacks in rotation after the pick', () => {
    const balancer = roundRobin();
    const list = pool('a', 'b', 'c');
    const orders = [0, 1, 2].map(() => ids(balancer.order(list, context())).join(''));
    // The start is random; from there, each call is the last one rotated by one.
    const cycle = ['abc', 'bca', 'cab'];
    const from = cycle.indexOf(orders[0] ?? '');
    expect(orders).toEqual([0, 1, 2].map((i) => cycle[(from + i) % 3]));
  });

  it('starts at a random member, so isolates do not all begin with the first', () => {
    const starts = new Set<string>();
    const random = seeded(3);
    for (let i = 0; i < 30; i++) starts.add(ids(roundRobin().order(pool('a', 'b', 'c'), context({ random })))[0] ?? '-');
    expect([...starts].sort()).toEqual(['a', 'b', 'c']);
  });

  it.each([
    ['the last pick leaves: its successor is next', 'b', 'c'],
    ['another member leaves: the rotation goes on', 'a', 'c'],
    ['the next member leaves: the one after it is next', 'c', 'a'],
  ])('survives a member disappearing (%s)', (_what, gone, next) => {
    const balancer = roundRobin();
    const all = pool('a', 'b', 'c');
    // Advance until b was the last pick.
    while (balancer.order(all, context())[0]?.endpoint.id !== 'b');
    const rest = all.filter((c) => c.endpoint.id !== gone);
    const after = picks(balancer, rest, context(), 200);
    expect(after[0]).toBe(next);
    expect(Object.values(tally(after))).toEqual([100, 100]);
    // No one picked twice in a row across the change.
    expect(after.every((id, i) => id !== (i === 0 ? 'b' : after[i - 1]))).toBe(true);
  });

  it('keeps the rotation when a member comes back', () => {
    const balancer = roundRobin();
    const all = pool('a', 'b', 'c', 'd');
    picks(balancer, all, context(), 5);
    picks(balancer, all.slice(1), context(), 3);
    expect(Object.values(tally(picks(balancer, all, context(), 400)))).toEqual([100, 100, 100, 100]);
  });
});
