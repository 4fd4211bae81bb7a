import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CancelScope } from '../../../src/backends/cancellation.ts';

/** The scope arms its timer in a microtask: let it run, then move the fake clock. */
const settle = () => Promise.resolve();

describe('CancelScope: the deadline and the alarms share one timer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('cancels with `deadline` when the time is up, not before', async () => {
    const scope = new CancelScope();
    scope.expireAfter(1000);
    await settle();
    vi.advanceTimersByTime(999);
    expect(scope.cancelled).toBe(false);
    vi.advanceTimersByTime(1);
    expect(scope.reason).toBe('deadline');
  });

  it('fires an alarm when due, and a disarmed one never', async () => {
    const scope = new CancelScope();
    const fired: string[] = [];
    scope.alarm(100, () => fired.push('a'));
    const disarm = scope.alarm(50, () => fired.push('b'));
    await settle();
    disarm();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual(['a']);
    expect(scope.cancelled).toBe(false);
  });

  it('arms one platform timer for the deadline and the first alarm; a disarmed alarm costs no clearTimeout', async () => {
    const set = vi.spyOn(globalThis, 'setTimeout');
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    const scope = new CancelScope();
    scope.expireAfter(1000);
    const disarm = scope.alarm(100, () => {});
    await settle();
    expect(set).toHaveBeenCalledTimes(1);
    disarm();
    expect(clear).not.toHaveBeenCalled();
    scope.dispose();
    expect(clear).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(2000);
    expect(scope.cancelled).toBe(false);
  });

  it('re-arms for the deadline when the timer fired for an alarm disarmed meanwhile', async () => {
    const scope = new CancelScope();
    scope.expireAfter(1000);
    scope.alarm(100, () => {})();
    await settle();
    vi.advanceTimersByTime(500);
    expect(scope.cancelled).toBe(false);
    vi.advanceTimersByTime(500);
    expect(scope.reason).toBe('deadline');
  });

  it('arms earlier for an alarm registered later that is due before the armed timer (a failover attempt)', async () => {
    const scope = new CancelScope();
    scope.expireAfter(1000);
    await settle();
    const fired: number[] = [];
    scope.alarm(10, () => fired.push(Date.now()));
    const start = Date.now();
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([start + 10]);
    expect(scope.cancelled).toBe(false);
  });

  it('keeps alarms working on a scope without a deadline, and clears its timer once the last is disarmed', async () => {
    const clear = vi.spyOn(globalThis, 'clearTimeout');
    const scope = new CancelScope();
    const fired: string[] = [];
    const disarm = scope.alarm(100, () => fired.push('a'));
    await settle();
    disarm();
    expect(clear).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(200);
    expect(fired).toEqual([]);
  });

  it('runs cancel callbacks once when the deadline passes', async () => {
    const scope = new CancelScope();
    const onCancel = vi.fn();
    scope.onCancel(onCancel);
    scope.expireAfter(10);
    await settle();
    vi.advanceTimersByTime(50);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });
});
