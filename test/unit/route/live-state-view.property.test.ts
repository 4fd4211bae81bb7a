// Property: LiveState's view of an endpoint (which skips the breaker and mark lookups for
// endpoints that never had one) says exactly what the circuit breakers and saturation marks it
// keeps say, for every endpoint, after any sequence of traffic, failures, probes and 429s.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreakers } from '../../../src/health/circuit-breaker.ts';
import { SaturationMarks } from '../../../src/health/saturation.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { LiveDriver, liveEventArb } from './live-events.ts';

const IDS = ['a/m/0', 'a/m/1', 'b/m/0', 'b/m/1'];
const BREAKER = { consecutiveFailures: 2, cooldownMs: 1_000, maxCooldownMs: 4_000, probeLeaseMs: 2_000, minRequests: 4, errorRatio: 0.5 };

describe('LiveState views', () => {
  it('report every endpoint’s breaker, mark, in-flight count and tenants as kept', () => {
    fc.assert(
      fc.property(fc.array(liveEventArb(2_500), { minLength: 1, maxLength: 80, size: 'max' }), (events) => {
        const live = new LiveState(IDS, { breaker: BREAKER });
        const breakers = new CircuitBreakers(IDS, BREAKER);
        const marks = new SaturationMarks(IDS);
        const inflight = new Map<string, number>();
        const tenants = new Map<string, Map<string, number>>();
        // Ids 0–3 are the fleet's; 4 and up name an endpoint outside it, which both sides ignore.
        const driver = new LiveDriver(live, (at) => IDS[at % 6] ?? 'elsewhere/m/0', 50_000);
        for (const event of events) {
          const t = driver.now;
          let admitted: boolean | undefined;
          const allowed = driver.play(event, (id) => {
            switch (event.kind) {
              case 'fail':
              case 'succeed':
                breakers.record(id, event.kind === 'fail' ? 'failure' : 'success', t);
                return;
              case 'admit':
                admitted = breakers.allow(id, t);
                return;
              case 'saturate':
                marks.mark(id, t, event.retryAfter);
                return;
              case 'begin': {
                if (!IDS.includes(id)) return;
                inflight.set(id, (inflight.get(id) ?? 0) + 1);
                const tenant = event.tenant;
                if (tenant !== undefined) {
                  const byTenant = tenants.get(id) ?? new Map<string, number>();
                  tenants.set(id, byTenant);
                  byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + 1);
                }
                return () => {
                  inflight.set(id, (inflight.get(id) ?? 1) - 1);
                  const byTenant = tenant === undefined ? undefined : tenants.get(id);
                  if (byTenant && tenant !== undefined) {
                    const left = (byTenant.get(tenant) ?? 1) - 1;
                    if (left > 0) byTenant.set(tenant, left);
                    else byTenant.delete(tenant);
                  }
                };
              }
            }
          });
          expect(allowed).toBe(admitted);
          const now = driver.now;
          const view = live.view(now);
          for (const endpoint of IDS) {
            const v = view.endpoint(endpoint);
            expect([v.breaker, v.breakerRetryAt, v.saturatedUntil, v.inflight, Object.fromEntries(v.tenants)]).toEqual([
              breakers.state(endpoint, now),
              breakers.retryAt(endpoint, now),
              marks.saturatedUntil(endpoint),
              inflight.get(endpoint) ?? 0,
              Object.fromEntries(tenants.get(endpoint) ?? []),
            ]);
            expect(live.breakerRetryAt(endpoint, now)).toBe(breakers.retryAt(endpoint, now));
            expect(live.inflight(endpoint)).toBe(inflight.get(endpoint) ?? 0);
          }
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
