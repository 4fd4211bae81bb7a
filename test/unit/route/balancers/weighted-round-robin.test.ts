import { describe, expect, it } from 'vitest';
import { weightedRoundRobin } from '../../../../src/route/balancers/weighted-round-robin.ts';
import { context, ids, longestRun, picks, pool, tally } from './pool.ts';

const cycleOf = (specs: string[]) => specs.reduce((sum, s) => sum + Number(s.split(':')[1]), 0);

describe('the weighted-round-robin balancer', () => {
  it.each<[string[], string, number, Record<string, number>]>([
    // nginx's smooth sequence for one cycle; the longest run of the heaviest across cycles.
    [['a:5', 'b:1', 'c:1'], 'aabacaa', 4, { a: 50, b: 10, c: 10 }],
    [['a:3', 'b:2'], 'ababa', 2, { a: 30, b: 20 }],
    [['a:1', 'b:1', 'c:1'], 'abc', 1, { a: 10, b: 10, c: 10 }],
    [['a:4', 'b:3', 'c:2', 'd:1'], 'abcabdacba', 2, { a: 40, b: 30, c: 20, d: 10 }],
    [['a:10', 'b:1'], 'aaaaabaaaaa', 10, { a: 100, b: 10 }],
  ])('weights %j: smooth cycle %s, runs of a at most %i, exact shares over 10 cycles', (specs, cycle, run, shares) => {
    const seq = picks(weightedRoundRobin(), pool(...specs), context(), 10 * cycleOf(specs));
    expect(seq.slice(0, cycle.length).join('')).toBe(cycle);
    expect(seq.join('')).toBe(cycle.repeat(10));
    expect(tally(seq)).toEqual(shares);
    expect(longestRun(seq, 'a')).toBeLessThanOrEqual(run);
  });

  it('never gives weights 5,1,1 five picks in a row (exactly 50/10/10 over 70 calls)', () => {
    const seq = picks(weightedRoundRobin(), pool('a:5', 'b:1', 'c:1'), context(), 70);
    expect(tally(seq)).toEqual({ a: 50, b: 10, c: 10 });
    expect(longestRun(seq, 'a')).toBeLessThan(5);
  });

  it('forgets endpoints absent from a call, so its state never outgrows the pool (100,000 ids through it)', () => {
    const balancer = weightedRoundRobin();
    const ab = pool('a:1', 'b:1');
    expect(ids(balancer.order(ab, context()))[0]).toBe('a'); // currents after: a −1, b +1
    for (let i = 0; i < 50_000; i++) balancer.order(pool(`x${i}:1`, `y${i}:1`), context());
    // Had a and b been kept, b (+1 → +2) would beat a (−1 → 0); forgotten, both start at 1 and a wins the tie.
    expect(ids(balancer.order(ab, context()))[0]).toBe('a');
  });

  it('orders the fallbacks by current weight, highest first', () => {
    const balancer = weightedRoundRobin();
    const list = pool('a:5', 'b:1', 'c:1');
    // Currents before each pick: (5,1,1) → a; (3,2,2) → a; (1,3,3) → b, then c (3) before a (1).
    expect([0, 1, 2].map(() => ids(balancer.order(list, context())).join(''))).toEqual(['abc', 'abc', 'bca']);
  });

  it('splits fractional weights in proportion', () => {
    expect(tally(picks(weightedRoundRobin(), pool('a:0.5', 'b:1.5'), context(), 400))).toEqual({ a: 100, b: 300 });
  });

  it.each([0, 1, 2, 3, 4, 5, 6])('keeps the others’ shares when a member leaves after %i calls, and takes it back', (before) => {
    const balancer = weightedRoundRobin();
    picks(balancer, pool('a:5', 'b:1', 'c:1'), context(), before);
    // Without c the survivors keep their progress: 5:1 from here on, to within one pick.
    const without = tally(picks(balancer, pool('a:5', 'b:1'), context(), 600));
    expect(Math.abs((without['a'] ?? 0) - 500)).toBeLessThanOrEqual(1);
    expect(Math.abs((without['b'] ?? 0) - 100)).toBeLessThanOrEqual(1);
    // c rejoins at current weight 0 and gets its share again.
    const back = tally(picks(balancer, pool('a:5', 'b:1', 'c:1'), context(), 700));
    for (const [id, share] of Object.entries({ a: 500, b: 100, c: 100 })) expect(Math.abs((back[id] ?? 0) - share)).toBeLessThanOrEqual(1);
  });

  it('treats pool order as irrelevant: the same shares whatever order the pool comes in', () => {
    const balancer = weightedRoundRobin();
    const forward = pool('a:2', 'b:1', 'c:1');
    const reversed = forward.slice().reverse();
    const seq = [];
    for (let i = 0; i < 400; i++) seq.push(balancer.order(i % 2 ? reversed : forward, context())[0]?.endpoint.id ?? '-');
    expect(tally(seq)).toEqual({ a: 200, b: 100, c: 100 });
  });
});
