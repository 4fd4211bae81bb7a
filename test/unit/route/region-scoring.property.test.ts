// Scoring regions instead of endpoints, and ordering fallback pools lazily, change what a request
// costs, not where it goes: the same plans as scoring every endpoint and ordering every pool.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../infra/local/sim/hash.ts';
import type { CompiledEndpoint, CompiledModel, CompiledRegion, Continent } from '../../../src/fleet/compiled.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { pipelineFromWeights, planRoute, type Pipeline } from '../../../src/route/pipeline.ts';
import { regionPoolPicker } from '../../../src/route/region-pool-picker.ts';
import type { CallerGeo, Candidate, Picker, RoutePlan, RouteRequest, WeightedScorer } from '../../../src/route/types.ts';

const CONTINENTS: Continent[] = ['NA', 'EU', 'AS'];

const scenarioArb = fc.record({
  regions: fc.array(
    fc.record({
      latitude: fc.double({ min: -90, max: 90, noNaN: true }),
      longitude: fc.double({ min: -180, max: 180, noNaN: true }),
      continent: fc.constantFrom(...CONTINENTS),
      price: fc.constantFrom(0, 0.5, 1, 2),
      pool: fc.integer({ min: 1, max: 4 }),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  weights: fc.record(
    { geo: fc.double({ min: 0.1, max: 3, noNaN: true }), cost: fc.double({ min: 0.1, max: 3, noNaN: true }), 'session-affinity': fc.double({ min: 0.1, max: 3, noNaN: true }) },
    { requiredKeys: [] },
  ),
  lb: fc.constantFrom('round-robin', 'least-connections', 'weighted-round-robin', 'consistent-hash', 'p2c-ewma' as const),
  edge: fc.boolean(),
  requests: fc.array(
    fc.record({
      caller: fc.option(
        fc.oneof(
          fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) }),
          fc.record({ continent: fc.constantFrom(...CONTINENTS) }),
        ),
        { nil: undefined },
      ),
      session: fc.option(fc.constantFrom('a', 'b', 'c'), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 8 },
  ),
  seed: fc.integer(),
});

/** The same scorers, told they score per endpoint: the pipeline then scores every candidate. */
const perEndpoint = (profile: readonly WeightedScorer[]): WeightedScorer[] =>
  profile.map(({ scorer, weight }) => {
    const { scope: _scope, ...endpointScoped } = scorer;
    return { scorer: endpointScoped, weight };
  });

const summary = (plan: RoutePlan) =>
  plan.ok ? { ranked: plan.ranked.map((s) => [s.candidate.endpoint.id, s.total, s.parts]), reason: plan.reason } : { refused: plan.reason };

describe('region-scoped scoring and lazily ordered pools', () => {
  it('plan every request as scoring each endpoint and ordering every pool would', () => {
    fc.assert(
      fc.property(scenarioArb, ({ regions: spec, weights, lb, edge, requests, seed }) => {
        const regions: CompiledRegion[] = spec.map((r, i) => ({
          id: `r${i}`,
          residency: 'any',
          location: { latitude: r.latitude, longitude: r.longitude, continent: r.continent },
          pricing: { inputPerMillionTokensUsd: r.price, outputPerMillionTokensUsd: r.price },
        }));
        const candidates: Candidate[] = spec.flatMap((r, i) =>
          Array.from({ length: r.pool }, (_, n): Candidate => {
            const endpoint: CompiledEndpoint = { id: `r${i}/m/${n}`, model: 'm', region: `r${i}`, baseUrl: `http://r${i}-${n}.test/v1`, pathStyle: 'v1', weight: n + 1, backend: 'vllm' };
            return { endpoint, region: regions[i] as CompiledRegion };
          }),
        );
        const model: CompiledModel = { id: 'm', aliases: [], capabilities: ['chat'], loadBalancing: lb, source: { kind: 'InferenceService', name: 'm', namespace: 'llm' }, ...(edge ? { placement: 'edge' as const } : {}) };
        const regionScoped = pipelineFromWeights(weights, regionPoolPicker(seededRandom(seed)));
        const built = pipelineFromWeights(weights, regionPoolPicker(seededRandom(seed)));
        const endpointScoped: Pipeline = { ...built, scorers: perEndpoint(built.scorers), nearest: perEndpoint(built.nearest) };
        // A picker without `rank` gets the flat list, as any custom picker does.
        const flat = regionPoolPicker(seededRandom(seed));
        const flatPicker: Picker = { type: 'flat', pick: (scored, state, request) => flat.pick(scored, state, request) };
        const flatOnly: Pipeline = { ...pipelineFromWeights(weights), picker: flatPicker };
        const live = new LiveState(candidates.map((c) => c.endpoint.id));
        for (const [i, r] of requests.entries()) {
          const request: RouteRequest = { model, key: {}, caller: r.caller as CallerGeo | undefined, sessionKey: r.session };
          const state = live.view(1_000 + i);
          const expected = summary(planRoute(endpointScoped, request, candidates, state));
          expect(summary(planRoute(regionScoped, request, candidates, state))).toEqual(expected);
          expect(summary(planRoute(flatOnly, request, candidates, state))).toEqual(expected);
        }
      }),
      { numRuns: 200, seed: 20261204 },
    );
  });

  it('orders a fallback region’s pool only when the ranking is read that far', () => {
    const region = (id: string): CompiledRegion => ({ id, residency: 'any', location: { latitude: 0, longitude: 0, continent: 'EU' }, pricing: { inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0 } });
    const candidates: Candidate[] = ['a', 'b', 'c'].flatMap((r) =>
      [0, 1].map((n): Candidate => ({ endpoint: { id: `${r}/m/${n}`, model: 'm', region: r, baseUrl: `http://${r}${n}.test/v1`, pathStyle: 'v1', weight: 1, backend: 'vllm' }, region: region(r) })),
    );
    const picker = regionPoolPicker(seededRandom(1));
    const pipeline = pipelineFromWeights({ geo: 1 }, picker);
    const model: CompiledModel = { id: 'm', aliases: [], capabilities: ['chat'], loadBalancing: 'round-robin', source: { kind: 'InferenceService', name: 'm', namespace: 'llm' } };
    const plan = planRoute(pipeline, { model, key: {}, caller: undefined }, candidates, new LiveState(candidates.map((c) => c.endpoint.id)).view(0));
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.reason).toMatch(/fallbacks=5$/);
    expect(plan.ranking.size).toBe(6);
    expect(picker.pools).toBe(1); // the pick's pool, for the reason; nobody read further
    const walked = [...plan.ranking].map((s) => s.candidate.endpoint.id);
    expect(picker.pools).toBe(3);
    expect(plan.ranked.map((s) => s.candidate.endpoint.id)).toEqual(walked);
    expect(new Set(walked).size).toBe(6);
    expect(plan.ranking.first()?.candidate.endpoint.id).toBe(walked[0]);
  });
});
