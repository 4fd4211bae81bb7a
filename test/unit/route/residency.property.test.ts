// Property: whatever the fleet, the key and the failures, no request is ever sent to an
// endpoint outside the key's allowed regions and residency zones — not the pick, not a
// fallback, not after breakers open or endpoints saturate.
import fc from 'fast-check';
import { seededRandom } from '../../../infra/local/sim/hash.ts';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../src/backends/backend.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import { TransportError } from '../../../src/backends/transport.ts';
import { parseUpstreamError, UpstreamHttpError } from '../../../src/backends/upstream-error.ts';
import type { CompiledEndpoint, CompiledFleet, CompiledModel, CompiledRegion, Continent } from '../../../src/fleet/compiled.ts';
import { TimeoutsSchema } from '../../../src/fleet/schema.ts';
import { TierRulesSchema } from '../../../src/classify/tier-rules.ts';
import { OPENAI_ENDPOINTS } from '../../../src/api/openai-endpoints.ts';
import { forward } from '../../../src/forward/forward.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { pipelineFromWeights, planRoute } from '../../../src/route/pipeline.ts';
import type { CallerGeo, Candidate, KeyScope } from '../../../src/route/types.ts';
import { upstreamResponse } from '../../support/upstream.ts';

const ZONES = ['us', 'eu', 'apac', 'sa'] as const;
const CONTINENTS: Continent[] = ['NA', 'EU', 'AS', 'SA', 'OC', 'AF'];
const BALANCERS = ['round-robin', 'least-connections', 'weighted-round-robin', 'consistent-hash', 'p2c-ewma'] as const;
const FAILURES = ['ok', 'refused', 'connect-timeout', '500', '503', '429', '400'] as const;
type Failure = (typeof FAILURES)[number];

const regionArb = fc.record({
  zone: fc.constantFrom(...ZONES),
  latitude: fc.double({ min: -90, max: 90, noNaN: true }),
  longitude: fc.double({ min: -180, max: 180, noNaN: true }),
  continent: fc.constantFrom(...CONTINENTS),
  price: fc.double({ min: 0, max: 5, noNaN: true }),
});

/** A random federation: 1–6 regions, 1–3 models, each served by 1–3 endpoints in some regions. */
const fleetArb = fc
  .record({
    regions: fc.array(regionArb, { minLength: 1, maxLength: 6 }),
    models: fc.array(fc.record({ lb: fc.constantFrom(...BALANCERS), pools: fc.array(fc.nat({ max: 3 }), { minLength: 6, maxLength: 6 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
    weights: fc.record({
      geo: fc.double({ min: 0, max: 3, noNaN: true }),
      cost: fc.double({ min: 0, max: 3, noNaN: true }),
      load: fc.double({ min: 0, max: 3, noNaN: true }),
      latency: fc.double({ min: 0, max: 3, noNaN: true }),
      'session-affinity': fc.double({ min: 0, max: 3, noNaN: true }),
    }),
  })
  .map(({ regions, models, weights }) => {
    const compiledRegions: CompiledRegion[] = regions.map((r, i) => ({
      id: `r${i}`,
      residency: r.zone,
      location: { latitude: r.latitude, longitude: r.longitude, continent: r.continent },
      pricing: { inputPerMillionTokensUsd: r.price, outputPerMillionTokensUsd: r.price },
    }));
    const endpoints: CompiledEndpoint[] = [];
    const compiledModels: CompiledModel[] = models.map((m, mi) => {
      compiledRegions.forEach((region, ri) => {
        const size = m.pools[ri] ?? 0;
        for (let n = 0; n < size; n++) {
          endpoints.push({ id: `${region.id}/m${mi}/${n}`, model: `m${mi}`, region: region.id, baseUrl: `http://${region.id}-m${mi}-${n}.test/v1`, pathStyle: 'v1', weight: n + 1, backend: 'vllm' });
        }
      });
      return { id: `m${mi}`, aliases: [], capabilities: ['chat'], loadBalancing: m.lb, source: { kind: 'InferenceService', name: `m${mi}`, namespace: 'llm' } };
    });
    const fleet: CompiledFleet = {
      version: 1,
      source: 'property',
      regions: compiledRegions,
      tiers: [],
      models: compiledModels,
      endpoints,
      routing: { weights, loadBalancing: 'round-robin', timeouts: TimeoutsSchema.parse({}), limits: { maxBodyBytes: 1, maxUploadBytes: 1 }, cors: { allowedOrigins: [], maxAgeSeconds: 0 }, environment: 'production', kvTransfer: { fromClients: false, remoteHosts: [] }, tierRules: TierRulesSchema.parse({ tiers: ['small'], scoreThresholds: [], latencyBudgets: [], qualityFloors: [] }) },
    };
    return fleet;
  });

const scenarioArb = fleetArb.chain((fleet) =>
  fc.record({
    fleet: fc.constant(fleet),
    key: fc.record(
      {
        regions: fc.subarray(fleet.regions.map((r) => r.id), { minLength: 1 }),
        residency: fc.subarray([...ZONES], { minLength: 1 }),
      },
      { requiredKeys: [] },
    ) as fc.Arbitrary<KeyScope>,
    failures: fc.dictionary(fc.constantFrom(...fleet.endpoints.map((e) => e.id), 'none'), fc.constantFrom(...FAILURES)),
    caller: fc.option(fc.record({ latitude: fc.double({ min: -90, max: 90, noNaN: true }), longitude: fc.double({ min: -180, max: 180, noNaN: true }) }), { nil: undefined }) as fc.Arbitrary<CallerGeo | undefined>,
    session: fc.option(fc.string({ minLength: 1, maxLength: 12 }), { nil: undefined }),
    requests: fc.integer({ min: 1, max: 12 }),
    seed: fc.integer(),
  }),
);

const answer = (failure: Failure) => {
  switch (failure) {
    case 'ok': return upstreamResponse(200, '{}');
    case 'refused': return new TransportError('network', 'ECONNREFUSED');
    case 'connect-timeout': return new TransportError('connect', 'timeout', { timeoutMs: 10 });
    default: {
      const status = Number(failure);
      return new UpstreamHttpError(status, parseUpstreamError(status, '{"error":"x"}'), status === 429 ? '1' : null);
    }
  }
};

const allowed = (key: KeyScope, c: Candidate) =>
  (!key.regions?.length || key.regions.includes(c.region.id)) && (!key.residency?.length || key.residency.includes(c.region.residency));

describe('residency as a property', () => {
  it('never sends a request outside the key’s regions and residency zones', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ fleet, key, failures, caller, session, requests, seed }) => {
        const regions = new Map(fleet.regions.map((r) => [r.id, r]));
        const endpoints = new Map(fleet.endpoints.map((e) => [e.id, e]));
        const contacted: string[] = [];
        const backend: Backend = {
          kind: 'vllm',
          send: async (call) => {
            contacted.push(call.endpoint.id);
            const a = answer(failures[call.endpoint.id] ?? 'ok');
            if (a instanceof Error) throw a;
            return a;
          },
        };
        const live = new LiveState(fleet.endpoints.map((e) => e.id), { breaker: { consecutiveFailures: 2 } });
        let t = 1_000_000 + (seed & 0xffff);
        const random = seededRandom(seed);
        const pipeline = pipelineFromWeights(fleet.routing.weights);
        for (let n = 0; n < requests; n++) {
          for (const model of fleet.models) {
            const candidates = fleet.endpoints
              .filter((e) => e.model === model.id)
              .map((endpoint) => ({ endpoint, region: regions.get(endpoint.region) as CompiledRegion }));
            const plan = planRoute(pipeline, { model, key, caller, sessionKey: session }, candidates, live.view(t));
            if (!plan.ok) continue;
            await forward(
              {
                ranked: plan.ranked,
                route: OPENAI_ENDPOINTS.chat.upstream,
                body: '{}',
                attempts: [],
                requestId: 'p',
                timeouts: fleet.routing.timeouts,
                cancel: new CancelScope(),
                maxAttempts: 3,
              },
              { backends: { vllm: backend, sagemaker: backend }, credential: () => undefined, credentialMissing: () => false, now: () => (t += 1 + Math.floor(random() * 50)), live },
            ).then(
              (f) => f.done(),
              () => undefined,
            );
          }
        }
        for (const id of contacted) {
          const endpoint = endpoints.get(id) as CompiledEndpoint;
          expect(allowed(key, { endpoint, region: regions.get(endpoint.region) as CompiledRegion })).toBe(true);
        }
      }),
      { numRuns: 400, seed: 20261124 },
    );
  });
});
