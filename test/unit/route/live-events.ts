// Test support: random traffic for a LiveState (failures, successes, probes let through, 429s,
// requests beginning and ending, the clock moving), shared by the property tests over it.
import fc from 'fast-check';
import type { LiveState } from '../../../src/route/live-state.ts';

export type LiveEvent =
  | { kind: 'fail'; at: number }
  | { kind: 'succeed'; at: number; ms: number }
  | { kind: 'admit'; at: number }
  | { kind: 'saturate'; at: number; retryAfter: string | null }
  | { kind: 'begin'; at: number; tenant: string | undefined }
  | { kind: 'end' }
  | { kind: 'tick'; ms: number };

/** `at` picks an endpoint (the driver maps it to an id); ticks move the clock by up to `maxTickMs`. */
export const liveEventArb = (maxTickMs: number): fc.Arbitrary<LiveEvent> =>
  fc.oneof(
    fc.record({ kind: fc.constant('fail' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('succeed' as const), at: fc.nat(), ms: fc.integer({ min: 1, max: 500 }) }),
    fc.record({ kind: fc.constant('admit' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('saturate' as const), at: fc.nat(), retryAfter: fc.constantFrom(null, '0', '1', '3', 'x') }),
    fc.record({ kind: fc.constant('begin' as const), at: fc.nat(), tenant: fc.constantFrom('t1', 't2', undefined) }),
    fc.record({ kind: fc.constant('end' as const) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: maxTickMs }) }),
  );

/** Plays events on a LiveState: a clock, and the requests in flight (ended first in, first out). */
export class LiveDriver {
  now: number;
  readonly #live: LiveState;
  readonly #id: (at: number) => string;
  readonly #open: (() => void)[] = [];

  constructor(live: LiveState, id: (at: number) => string, start: number) {
    this.#live = live;
    this.#id = id;
    this.now = start;
  }

  /**
   * Plays one event; what a test mirrors elsewhere goes in `also` (called with the endpoint id;
   * for `begin`, what it returns runs when that request ends). Returns `admit`'s answer.
   */
  play(event: LiveEvent, also?: (id: string) => (() => void) | void): boolean | undefined {
    if (event.kind === 'end') {
      this.#open.shift()?.();
      return undefined;
    }
    if (event.kind === 'tick') {
      this.now += event.ms;
      return undefined;
    }
    const id = this.#id(event.at);
    let allowed: boolean | undefined;
    switch (event.kind) {
      case 'fail':
        this.#live.failed(id, this.now);
        break;
      case 'succeed':
        this.#live.succeeded(id, event.ms, this.now);
        break;
      case 'admit':
        allowed = this.#live.admit(id, this.now);
        break;
      case 'saturate':
        this.#live.saturated(id, this.now, event.retryAfter);
        break;
      case 'begin': {
        const end = this.#live.begin(id, event.tenant);
        const mirrored = also?.(id);
        this.#open.push(() => {
          end();
          if (typeof mirrored === 'function') mirrored();
        });
        return undefined;
      }
    }
    also?.(id);
    return allowed;
  }
}
