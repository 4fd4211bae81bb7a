// LiveState's routing generation: the token under which stable filter passes are reused. It must
// change with everything those filters read, and only then (a change per request would make
// every request pay a pass over the whole fleet again).
import { describe, expect, it } from 'vitest';
import type { HealthSnapshot } from '../../../src/health/snapshot.ts';
import { LiveState } from '../../../src/route/live-state.ts';

const IDS = ['r/m/0', 'r/m/1', 'r/m/2'];
const BREAKER = { consecutiveFailures: 2, cooldownMs: 1_000, maxCooldownMs: 8_000, probeLeaseMs: 3_000 };
const snapshot = (takenAt: number): HealthSnapshot => ({ takenAt, endpoints: { 'r/m/0': { healthy: true, checkedAt: takenAt } } });

describe('LiveState generation', () => {
  it('stays the same while only traffic happens: requests begin and end, closed breakers see successes and lone failures', () => {
    const live = new LiveState(IDS, { breaker: BREAKER });
    const snap = snapshot(0);
    const first = live.view(10, snap).generation;
    expect(first).toEqual({ since: 10 });
    const end = live.begin('r/m/0', 't');
    expect(live.admit('r/m/0', 11)).toBe(true);
    live.succeeded('r/m/0', 4, 12);
    live.failed('r/m/1', 13); // one failure: the breaker stays closed
    live.succeeded('r/m/1', 4, 14);
    end();
    live.begin('unknown', 't')();
    live.saturated('unknown', 15, '5'); // not an endpoint of the fleet: no mark, no change
    expect(live.view(20, snap).generation).toBe(first);
    expect(live.view(5, snap).generation).toBe(first); // a request that started before the cut
  });

  it('changes with the health snapshot (a new read), and back to none', () => {
    const live = new LiveState(IDS);
    const a = live.view(0, snapshot(0)).generation;
    const b = live.view(1, snapshot(0)).generation; // equal content, another read: routing derives again
    const c = live.view(2, undefined).generation;
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('changes when a 429 marks an endpoint, and again when the mark runs out', () => {
    const live = new LiveState(IDS);
    const before = live.view(0).generation;
    live.saturated('r/m/2', 100, '2');
    const marked = live.view(100).generation;
    expect(marked).not.toBe(before);
    expect(live.view(2_099).generation).toBe(marked);
    const after = live.view(2_100).generation;
    expect(after).not.toBe(marked);
    expect(after).toEqual({ since: 2_100 });
  });

  it('follows a breaker through open, half-open (by the clock), its probe, and closed', () => {
    const live = new LiveState(IDS, { breaker: BREAKER });
    const seen = [live.view(0).generation];
    live.failed('r/m/0', 10);
    expect(live.view(10).generation).toBe(seen[0]); // one failure: still closed
    live.failed('r/m/0', 11); // second in a row: open until 1 011
    seen.push(live.view(11).generation);
    expect(live.view(1_010).generation).toBe(seen[1]);
    seen.push(live.view(1_011).generation); // cooldown over: half-open
    expect(live.admit('r/m/0', 1_012)).toBe(true); // the probe goes out
    seen.push(live.view(1_012).generation);
    expect(live.admit('r/m/0', 1_013)).toBe(false); // one probe at a time: nothing changes
    expect(live.view(1_013).generation).toBe(seen[3]);
    live.succeeded('r/m/0', 5, 1_014); // the probe answered: closed
    seen.push(live.view(1_014).generation);
    expect(new Set(seen).size).toBe(5);
  });

  it('changes when a probe lease runs out unanswered', () => {
    const live = new LiveState(IDS, { breaker: BREAKER });
    live.failed('r/m/1', 0);
    live.failed('r/m/1', 0);
    expect(live.admit('r/m/1', 1_000)).toBe(true);
    const probing = live.view(1_000).generation;
    expect(live.view(3_999).generation).toBe(probing);
    expect(live.view(4_000).generation).not.toBe(probing); // the lease ran out: another probe may go
  });
});
