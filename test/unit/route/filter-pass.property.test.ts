// Property: routing that reuses the stable filters' pass across requests (src/route/filter-pass.ts,
// keyed by LiveState's generation) routes exactly as routing that filters every request afresh,
// whatever happens in between: breakers opening and closing, probes let through, 429 marks set
// and running out, health snapshots coming and going, time passing, requests that started
// before the latest change, key scopes, placements and fair-share limits. The region scores
// reused with a pass (src/route/region-scores-memo.ts, per profile and caller) are held to the
// same: callers from a few places, sessions, scorers going flat and back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../infra/local/sim/hash.ts';
import type { CompiledEndpoint, CompiledModel, CompiledRegion } from '../../../src/fleet/compiled.ts';
import type { HealthSnapshot } from '../../../src/health/snapshot.ts';
import type { HealthSample } from '../../../src/route/endpoint-view.ts';
import { passFilters } from '../../../src/route/filter-pass.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { pipelineFromWeights, planRoute, type Pipeline } from '../../../src/route/pipeline.ts';
import { regionPoolPicker } from '../../../src/route/region-pool-picker.ts';
import { LiveDriver, liveEventArb } from './live-events.ts';
import type { CallerGeo, Candidate, KeyScope, RoutePlan, RouteRequest, RouteState } from '../../../src/route/types.ts';

const ZONES = ['us', 'eu', 'apac'] as const;
const PLACEMENTS = ['edge', 'regional', 'central'] as const;

const fleetArb = fc.record({
  regions: fc.array(
    fc.record({ zone: fc.constantFrom(...ZONES), placement: fc.option(fc.subarray([...PLACEMENTS], { minLength: 1 }), { nil: undefined }), pool: fc.nat({ max: 4 }) }),
    { minLength: 1, maxLength: 5 },
  ).filter((regions) => regions.some((r) => r.pool > 0)),
  lb: fc.constantFrom('round-robin', 'least-connections', 'weighted-round-robin', 'consistent-hash', 'p2c-ewma' as const),
  weights: fc.constantFrom<Record<string, number>>({ geo: 1 }, { geo: 1, cost: 2 }, { load: 1, geo: 1 }, { 'session-affinity': 1, latency: 1 }, { 'session-affinity': 1, geo: 1 }, { geo: 1, 'error-rate': 0 }),
  fairness: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
});

const eventArb = fc.oneof(
  liveEventArb(4_000),
  fc.record({
    kind: fc.constant('snapshot' as const),
    samples: fc.option(fc.array(fc.record({ healthy: fc.boolean(), waiting: fc.constantFrom(0, 5, 40), kv: fc.constantFrom(0.1, 0.99), serves: fc.boolean() }), { maxLength: 20 }), { nil: undefined }),
  }),
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('route' as const),
      olderBy: fc.constantFrom(0, 0, 0, 30, 2_500),
      requestClass: fc.nat(),
      tenant: fc.constantFrom('t1', 't2'),
      session: fc.option(fc.constantFrom('s1', 's2'), { nil: undefined }),
      caller: fc.constantFrom<CallerGeo | undefined>(undefined, undefined, { continent: 'EU' }, { continent: 'NA' }, { latitude: 12, longitude: 25 }, { latitude: 35, longitude: 70, continent: 'AS' }),
    }),
  },
);

/** What a stable filter reads of a request; a scenario routes a few of these again and again. */
const classArb = fc.record({
  key: fc.record({ regions: fc.subarray(['r0', 'r1', 'r2', 'r3', 'r4']), residency: fc.subarray([...ZONES]) }, { requiredKeys: [] }),
  placement: fc.option(fc.constantFrom(...PLACEMENTS), { nil: undefined }),
  capability: fc.option(fc.constantFrom('chat' as const, 'embeddings' as const), { nil: undefined }),
});
/** One class, the same with another capability, with another placement, with another scope; and one more at random. */
const classesArb = fc.tuple(classArb, classArb).map(([c, other]) => [
  c,
  { ...c, capability: c.capability === 'embeddings' ? ('chat' as const) : ('embeddings' as const) },
  { ...c, placement: other.placement === c.placement ? undefined : other.placement },
  { ...c, key: other.key },
  other,
]);

/** What a plan says, comparable: the order of endpoints, the reason, or the refusal. */
const summary = (plan: RoutePlan) =>
  plan.ok ? { ids: plan.ranked.map((s) => s.candidate.endpoint.id), totals: plan.ranked.map((s) => s.total), reason: plan.reason } : { refused: plan.droppedBy.type, reason: plan.reason, retryAfterMs: plan.retryAfterMs };

describe('the reused filter pass', () => {
  it('routes exactly as filtering every request afresh', () => {
    fc.assert(
      fc.property(fleetArb, classesArb, fc.array(eventArb, { minLength: 20, maxLength: 80, size: 'max' }), fc.integer(), (spec, classes, events, seed) => {
        const regions: CompiledRegion[] = spec.regions.map((r, i) => ({
          id: `r${i}`,
          residency: r.zone,
          location: { latitude: 10 * i, longitude: 20 * i, continent: 'EU' },
          pricing: { inputPerMillionTokensUsd: i, outputPerMillionTokensUsd: i },
          ...(r.placement ? { placement: r.placement } : {}),
        }));
        const endpoints: CompiledEndpoint[] = spec.regions.flatMap((r, i) =>
          Array.from({ length: r.pool }, (_, n): CompiledEndpoint => ({ id: `r${i}/m/${n}`, model: 'm', region: `r${i}`, baseUrl: `http://r${i}-${n}.test/v1`, pathStyle: 'v1', weight: n + 1, backend: n === 1 ? 'sagemaker' : 'vllm' })),
        );
        const byRegion = new Map(regions.map((r) => [r.id, r]));
        const candidates: Candidate[] = endpoints.map((endpoint) => ({ endpoint, region: byRegion.get(endpoint.region) as CompiledRegion }));
        const fairness = spec.fairness === undefined ? undefined : { endpointConcurrency: spec.fairness, weights: { t1: 2 }, defaultWeight: 1 };
        // Two pipelines with pickers drawing the same numbers, used in lockstep: one reuses passes, one never does.
        const reusing: Pipeline = pipelineFromWeights(spec.weights, regionPoolPicker(seededRandom(seed)), fairness);
        const afresh: Pipeline = pipelineFromWeights(spec.weights, regionPoolPicker(seededRandom(seed)), fairness);
        const live = new LiveState(endpoints.map((e) => e.id), { breaker: { consecutiveFailures: 2, cooldownMs: 1_000, maxCooldownMs: 4_000, probeLeaseMs: 3_000 }, probeIntervalMs: 10_000 });
        const driver = new LiveDriver(live, (at) => endpoints[at % Math.max(1, endpoints.length)]?.id ?? 'none', 1_000_000);
        let snapshot: HealthSnapshot | undefined;

        for (const event of events) {
          const t = driver.now;
          switch (event.kind) {
            case 'snapshot':
              snapshot =
                event.samples === undefined
                  ? undefined
                  : {
                      takenAt: t,
                      endpoints: Object.fromEntries(
                        endpoints.map((e, i): [string, HealthSample] => {
                          const s = event.samples?.[i % Math.max(1, event.samples.length)];
                          return [e.id, s ? { healthy: s.healthy, waiting: s.waiting, kvCacheUsage: s.kv, served: s.serves ? ['m'] : ['other'], checkedAt: t } : { healthy: true, checkedAt: t }];
                        }),
                      ),
                    };
              break;
            case 'route': {
              const c = classes[event.requestClass % classes.length] as (typeof classes)[number];
              const model: CompiledModel = { id: 'm', aliases: [], capabilities: ['chat'], loadBalancing: spec.lb, source: { kind: 'InferenceService', name: 'm', namespace: 'llm' }, ...(c.placement ? { placement: c.placement } : {}) };
              const request: RouteRequest = { model, key: c.key as KeyScope, caller: event.caller, tenant: event.tenant, sessionKey: event.session, capability: c.capability };
              const view = live.view(t - event.olderBy, snapshot);
              expect(view.generation).toBeDefined();
              // No generation (so never reused); what the error-rate scorer reads stays.
              const bare: RouteState = { now: view.now, probeIntervalMs: view.probeIntervalMs, failing: view.failing ?? false, endpoint: (id) => view.endpoint(id) };
              const a = passFilters(reusing.filters, request, candidates, view);
              const b = passFilters(afresh.filters, request, candidates, bare);
              expect(a.ok ? a.regions.map((g) => [g.region.id, g.members.map((c) => c.endpoint.id)]) : a.droppedBy.type).toEqual(
                b.ok ? b.regions.map((g) => [g.region.id, g.members.map((c) => c.endpoint.id)]) : b.droppedBy.type,
              );
              expect(summary(planRoute(reusing, request, candidates, view))).toEqual(summary(planRoute(afresh, request, candidates, bare)));
              break;
            }
            default:
              driver.play(event);
          }
        }
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
