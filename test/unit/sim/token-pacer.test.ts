import { describe, expect, it } from 'vitest';
import { paceTokens } from '../../../infra/local/sim/token-pacer.ts';

describe('paceTokens', () => {
  it('with zero delays emits every token and finishes synchronously, without a timer', () => {
    const events: string[] = [];
    paceTokens({
      count: 3,
      delayMs: () => 0,
      emit: (i) => (events.push(`t${i}`), true),
      flush: () => events.push('flush'),
      done: () => events.push('done'),
      now: () => 0,
    });
    expect(events).toEqual(['t0', 't1', 't2', 'done']);
  });

  it('waits out the delays, flushing before each wait, and asks each delay when it is due', async () => {
    const asked: number[] = [];
    const events: string[] = [];
    const start = performance.now();
    await new Promise<void>((resolve) => {
      paceTokens({
        count: 3,
        delayMs: (i) => (asked.push(i), i === 0 ? 15 : 5),
        emit: (i) => (events.push(`t${i}`), true),
        flush: () => events.push('flush'),
        done: () => (events.push('done'), resolve()),
        now: () => performance.now(),
      });
      expect(events).toEqual(['flush']);
    });
    expect(asked).toEqual([0, 1, 2]);
    // A timer may fire a little early on a busy machine and be re-armed: a repeated flush is fine.
    const collapsed = events.filter((e, i) => !(e === 'flush' && events[i - 1] === 'flush'));
    expect(collapsed).toEqual(['flush', 't0', 'flush', 't1', 'flush', 't2', 'done']);
    expect(performance.now() - start).toBeGreaterThanOrEqual(18);
  });

  it('stops when cancelled or when emit returns false, without calling done', async () => {
    const events: string[] = [];
    const pacing = paceTokens({
      count: 5,
      delayMs: () => 5,
      emit: (i) => (events.push(`t${i}`), true),
      flush: () => undefined,
      done: () => events.push('done'),
      now: () => performance.now(),
    });
    pacing.cancel();
    paceTokens({
      count: 5,
      delayMs: () => 0,
      emit: (i) => (events.push(`s${i}`), i < 1),
      flush: () => undefined,
      done: () => events.push('done'),
      now: () => 0,
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(events).toEqual(['s0', 's1']);
  });
});
