// Property: LiveState's view of an endpoint (which skips the breaker and mark lookups for
// endpoints that never had one) says exactly what the circuit breakers and saturation marks it
// keeps say, for every endpoint, after any sequence of traffic, failures, probes and 429s.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../../src/health/circuit-breaker.ts';
import { SaturationMarks } from '../../../src/health/saturation.ts';
import { LiveState } from '../../../src/route/live-state.ts';

const IDS = ['a/m/0', 'a/m/1', 'b/m/0', 'b/m/1'];
const BREAKER = { consecutiveFailures: 2, cooldownMs: 1_000, maxCooldownMs: 4_000, probeLeaseMs: 2_000, minRequests: 4, errorRatio: 0.5 };

const eventArb = fc.oneof(
  fc.record({ kind: fc.constant('fail' as const), at: fc.nat({ max: 4 }) }),
  fc.record({ kind: fc.constant('succeed' as const), at: fc.nat({ max: 4 }), ms: fc.integer({ min: 1, max: 500 }) }),
  fc.record({ kind: fc.constant('admit' as const), at: fc.nat({ max: 4 }) }),
  fc.record({ kind: fc.constant('saturate' as const), at: fc.nat({ max: 4 }), retryAfter: fc.constantFrom(null, '0', '1', '3') }),
  fc.record({ kind: fc.constant('begin' as const), at: fc.nat({ max: 4 }), tenant: fc.constantFrom('t1', 't2', undefined) }),
  fc.record({ kind: fc.constant('end' as const) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 2_500 }) }),
);

describe('LiveState views', () => {
  it('report every endpoint’s breaker, mark, in-flight count and tenants as kept', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 80, size: 'max' }), (events) => {
        const live = new LiveState(IDS, { breaker: BREAKER });
        const breakers = new CircuitBreakers(IDS, BREAKER);
        const marks = new SaturationMarks(IDS);
        const inflight = new Map<string, number>();
        const tenants = new Map<string, Map<string, number>>();
        const open: (() => void)[] = [];
        let t = 50_000;
        // index 4 is an id outside the fleet: ignored by both
        const id = (at: number) => IDS[at] ?? 'elsewhere/m/0';
        for (const event of events) {
          switch (event.kind) {
            case 'fail':
              live.failed(id(event.at), t);
              breakers.record(id(event.at), 'failure', t);
              break;
            case 'succeed':
              live.succeeded(id(event.at), event.ms, t);
              breakers.record(id(event.at), 'success', t);
              break;
            case 'admit':
              expect(live.admit(id(event.at), t)).toBe(breakers.allow(id(event.at), t));
              break;
            case 'saturate':
              live.saturated(id(event.at), t, event.retryAfter);
              marks.mark(id(event.at), t, event.retryAfter);
              break;
            case 'begin': {
              const endpoint = id(event.at);
              const end = live.begin(endpoint, event.tenant);
              if (!IDS.includes(endpoint)) {
                open.push(end);
                break;
              }
              inflight.set(endpoint, (inflight.get(endpoint) ?? 0) + 1);
              if (event.tenant !== undefined) {
                const byTenant = tenants.get(endpoint) ?? new Map<string, number>();
                tenants.set(endpoint, byTenant);
                byTenant.set(event.tenant, (byTenant.get(event.tenant) ?? 0) + 1);
              }
              const tenant = event.tenant;
              open.push(() => {
                end();
                inflight.set(endpoint, (inflight.get(endpoint) ?? 1) - 1);
                const byTenant = tenant === undefined ? undefined : tenants.get(endpoint);
                if (byTenant && tenant !== undefined) {
                  const left = (byTenant.get(tenant) ?? 1) - 1;
                  if (left > 0) byTenant.set(tenant, left);
                  else byTenant.delete(tenant);
                }
              });
              break;
            }
            case 'end':
              open.shift()?.();
              break;
            case 'tick':
              t += event.ms;
              break;
          }
          const view = live.view(t);
          for (const endpoint of IDS) {
            const v = view.endpoint(endpoint);
            expect([v.breaker, v.breakerRetryAt, v.saturatedUntil, v.inflight, Object.fromEntries(v.tenants)]).toEqual([
              breakers.state(endpoint, t),
              breakers.retryAt(endpoint, t),
              marks.saturatedUntil(endpoint),
              inflight.get(endpoint) ?? 0,
              Object.fromEntries(tenants.get(endpoint) ?? []),
            ]);
            expect(live.breakerRetryAt(endpoint, t)).toBe(breakers.retryAt(endpoint, t));
            expect(live.inflight(endpoint)).toBe(inflight.get(endpoint) ?? 0);
          }
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
