import { describe, expect, it } from 'vitest';
import type { CompiledModel, CompiledRegion } from '../../../../src/fleet/compiled.ts';
import type { LoadBalancer } from '../../../../src/fleet/schema.ts';
import { pipelineFromWeights, planRoute } from '../../../../src/route/pipeline.ts';
import { regionPoolPicker } from '../../../../src/route/region-pool-picker.ts';
import { prefixAffinityScorer } from '../../../../src/route/scorers/prefix-affinity.ts';
import type { Candidate, RouteRequest, RouteState, Scored } from '../../../../src/route/types.ts';
import { pool, seeded, stateOf } from '../balancers/pool.ts';

const US = pool('us-east/m/0', 'us-east/m/1', 'us-east/m/2', 'us-east/m/3');
const eu: CompiledRegion = { id: 'eu-west', residency: 'eu', location: { latitude: 53, longitude: -6, continent: 'EU' }, pricing: { inputPerMillionTokensUsd: 0.1, outputPerMillionTokensUsd: 0.2 } };
const EU: Candidate[] = pool('eu-west/m/0', 'eu-west/m/1').map((c) => ({ endpoint: { ...c.endpoint, region: eu.id }, region: eu }));

const model = (loadBalancing: LoadBalancer): CompiledModel => ({ id: 'm', aliases: [], capabilities: ['chat'], loadBalancing, source: { kind: 'InferenceService', name: 'm', namespace: 'llm' } });
const request = (anchor?: number, loadBalancing: LoadBalancer = 'round-robin'): RouteRequest => ({
  model: model(loadBalancing),
  key: {},
  caller: undefined,
  ...(anchor === undefined ? {} : { prefix: { blocks: [anchor], anchor, anchorBlocks: 1, promptTokens: 500 } }),
});

const ids = (ranked: readonly Scored[]) => ranked.map((s) => s.candidate.endpoint.id);

function plan(weights: Record<string, number>, req: RouteRequest, candidates: readonly Candidate[], state: RouteState = stateOf(), calls = 1): string[][] {
  const pipeline = pipelineFromWeights(weights, regionPoolPicker(seeded(7)));
  const out: string[][] = [];
  for (let i = 0; i < calls; i++) {
    const p = planRoute(pipeline, req, candidates, state);
    if (!p.ok) throw new Error(p.reason);
    out.push(ids(p.ranked));
  }
  return out;
}

/** Where prefix-affinity alone sends the anchor in a pool (its candidate scored 1). */
const homeOf = (anchor: number, candidates: readonly Candidate[], state: RouteState = stateOf()) =>
  candidates[prefixAffinityScorer().score(request(anchor), candidates, state).indexOf(1)]?.endpoint.id;

describe('the region-pool picker with prefix affinity', () => {
  it('leaves a pool to its balancer when the request has no prefix (round robin rotates)', () => {
    const firsts = plan({ 'prefix-affinity': 1 }, request(), US, stateOf(), 8).map((r) => r[0]);
    expect(new Set(firsts.slice(0, 4)).size).toBe(4);
    expect(firsts.slice(4)).toEqual(firsts.slice(0, 4));
  });

  it('leaves a pool to its balancer when only other per-endpoint scorers differ (load does not reorder it)', () => {
    const state = stateOf({ 'us-east/m/0': { inflight: 5 }, 'us-east/m/1': { inflight: 3 } });
    const firsts = plan({ load: 1 }, request(), US, state, 4).map((r) => r[0]);
    expect(new Set(firsts).size).toBe(4);
  });

  it.each(['round-robin', 'least-connections', 'p2c-ewma', 'weighted-round-robin'] as const)(
    "puts the prefix's endpoint first in its pool on every call, whatever the balancer (%s)",
    (lb) => {
      for (const anchor of [11, 2 ** 40 + 5, 987_654_321]) {
        const home = homeOf(anchor, US);
        for (const ranked of plan({ 'prefix-affinity': 1 }, request(anchor, lb), US, stateOf(), 6)) {
          expect(ranked[0]).toBe(home);
          expect(ranked).toHaveLength(4); // every other endpoint stays as a fallback
        }
      }
    },
  );

  it('orders the fallbacks by total score when other scorers are weighted (prefix 3, load 2)', () => {
    const anchor = 42;
    const home = homeOf(anchor, US) as string;
    const rest = US.map((c) => c.endpoint.id).filter((id) => id !== home);
    // The home is busier than the others, yet within the bound (pool load 4 + 1 → ceil(c × 5 / 4) = 2).
    const state = stateOf({ [home]: { inflight: 1 }, [rest[0] as string]: { inflight: 3 }, [rest[1] as string]: { inflight: 0 }, [rest[2] as string]: { inflight: 0 } });
    const [ranked] = plan({ 'prefix-affinity': 3, load: 2 }, request(anchor), US, state);
    expect(ranked?.[0]).toBe(home);
    expect(ranked?.[3]).toBe(rest[0]); // the busiest comes last
  });

  it('ranks regions as before and picks the home inside each one', () => {
    const anchor = 77;
    const [ranked] = plan({ 'prefix-affinity': 1 }, request(anchor), [...US, ...EU]);
    const usFirst = ranked?.[0]?.startsWith('us-east') ?? false;
    const [first, second] = usFirst ? [US, EU] : [EU, US];
    expect(ranked?.[0]).toBe(homeOf(anchor, first));
    expect(ranked?.[first.length]).toBe(homeOf(anchor, second));
  });
});
