import { describe, expect, it } from 'vitest';
import { seededRandom as seeded } from '../../../infra/local/sim/hash.ts';
import { regionPoolPicker } from '../../../src/route/region-pool-picker.ts';
import { pipelineFromWeights, planRoute, type Pipeline } from '../../../src/route/pipeline.ts';
import type { Candidate, Filter, Picker, RouteRequest, Scorer, Scored } from '../../../src/route/types.ts';
import { candidatesOf, localFleet, ROUTE_STATE, routeRequest } from './fixtures.ts';

const fleet = localFleet();
const all = candidatesOf(fleet);
const llama = candidatesOf(fleet, 'llama-3.1-8b'); // us-east pod-a, us-east pod-b, eu-west, apac
// The pipeline's own mechanics, under the policy's weights: a model with no tier placement
// (an edge-placed one runs the nearest-first profile, tested in test/unit/route/placement.test.ts).
const unplaced = <R extends RouteRequest>(r: R): R => {
  const { placement: _, ...model } = r.model;
  return { ...r, model };
};
const request = unplaced(routeRequest(fleet, 'llama-3.1-8b'));
const state = ROUTE_STATE;

const ids = (list: readonly { candidate: Candidate }[]) => list.map((s) => s.candidate.endpoint.id);

/** A filter that records the candidates it saw and keeps those `keep` accepts. */
function fakeFilter(type: string, keep: (c: Candidate) => boolean) {
  const seen: string[][] = [];
  const filter: Filter = {
    type,
    reason: `dropped by ${type}`,
    filter: (_request, candidates) => {
      seen.push(candidates.map((c) => c.endpoint.id));
      return candidates.filter(keep);
    },
  };
  return { filter, seen };
}

/** A scorer that returns fixed scores, aligned with the candidates it is given. */
const fixedScorer = (type: string, scores: readonly number[]): Scorer => ({ type, category: 'balance', score: () => scores });


/** Orders by total, stable: isolates the pipeline's own behaviour from any real picker. */
const byTotal: Picker = { type: 'by-total', pick: (scored) => scored.slice().sort((a, b) => b.total - a.total) };
const pipeline = (parts: Partial<Pipeline>): Pipeline => ({ filters: [], scorers: [], nearest: [], picker: byTotal, ...parts });

describe('planRoute', () => {
  it('runs the filters in order, each on what the previous one kept', () => {
    const first = fakeFilter('not-apac', (c) => c.region.id !== 'apac');
    const second = fakeFilter('not-eu', (c) => c.region.id !== 'eu-west');
    const plan = planRoute(pipeline({ filters: [first.filter, second.filter] }), request, llama, state);
    expect(first.seen).toEqual([['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b', 'eu-west/llama-3.1-8b/0', 'apac/llama-3.1-8b/0']]);
    expect(second.seen).toEqual([['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b', 'eu-west/llama-3.1-8b/0']]);
    expect(plan.ok && ids(plan.ranked)).toEqual(['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b']);
  });

  it('stops at the first filter that leaves nothing and reports it', () => {
    const keepsAll = fakeFilter('keeps-all', () => true);
    const empties = fakeFilter('empties', () => false);
    const never = fakeFilter('never-reached', () => true);
    const plan = planRoute(pipeline({ filters: [keepsAll.filter, empties.filter, never.filter] }), request, llama, state);
    expect(plan).toEqual({ ok: false, droppedBy: empties.filter, reason: 'dropped by empties' });
    expect(never.seen).toEqual([]);
  });

  it.each([
    ['below 0', -1, 0],
    ['above 1', 2, 1],
    ['NaN', Number.NaN, 0],
    ['in range', 0.25, 0.25],
  ])('clamps a score %s into [0, 1] before weighting it', (_what, raw, clamped) => {
    const plan = planRoute(pipeline({ scorers: [{ scorer: fixedScorer('odd', [raw]), weight: 3 }] }), request, llama.slice(0, 1), state);
    expect(plan.ok && plan.ranked.map((s) => [s.total, s.parts])).toEqual([[clamped * 3, { odd: clamped }]]);
  });

  it('scores a candidate the scorer left out as 0', () => {
    const plan = planRoute(pipeline({ scorers: [{ scorer: fixedScorer('short', [1]), weight: 1 }] }), request, llama.slice(0, 2), state);
    expect(plan.ok && plan.ranked.map((s) => [s.candidate.endpoint.id, s.total])).toEqual([
      ['us-east/llama-3.1-8b/pod-a', 1],
      ['us-east/llama-3.1-8b/pod-b', 0],
    ]);
  });

  it('multiplies each score by its weight and sums them, best total first', () => {
    const three = llama.slice(1); // pod-b, eu-west, apac
    const plan = planRoute(
      pipeline({
        scorers: [
          { scorer: fixedScorer('a', [1, 0, 0.5]), weight: 2 },
          { scorer: fixedScorer('b', [0, 1, 0.5]), weight: 3 },
        ],
      }),
      request,
      three,
      state,
    );
    // pod-b 2·1 + 3·0 = 2; eu-west 2·0 + 3·1 = 3; apac 2·0.5 + 3·0.5 = 2.5
    expect(plan.ok && plan.ranked.map((s) => [s.candidate.endpoint.id, s.total, s.parts])).toEqual([
      ['eu-west/llama-3.1-8b/0', 3, { a: 0, b: 1 }],
      ['apac/llama-3.1-8b/0', 2.5, { a: 0.5, b: 0.5 }],
      ['us-east/llama-3.1-8b/pod-b', 2, { a: 1, b: 0 }],
    ]);
  });

  it('explains the pick: region, each score to two decimals, and how many fallbacks remain', () => {
    const plan = planRoute(
      pipeline({ scorers: [{ scorer: fixedScorer('geo', [0.123, 0.9876, 0.5]), weight: 1 }, { scorer: fixedScorer('cost', [1, 0.333, 0]), weight: 1 }] }),
      request,
      llama.slice(1),
      state,
    );
    expect(plan.ok && plan.reason).toBe('region=eu-west geo=0.99 cost=0.33 fallbacks=2');
  });

  it('explains a pick made without scorers', () => {
    const plan = planRoute(pipeline({}), request, llama.slice(2, 3), state);
    expect(plan.ok && plan.reason).toBe('region=eu-west fallbacks=0');
  });

  it('hands the scored candidates to the picker and keeps its order', () => {
    const reversed = { type: 'reverse', pick: (scored: readonly Scored[]) => scored.slice().reverse() };
    const plan = planRoute(pipeline({ picker: reversed }), request, llama, state);
    expect(plan.ok && ids(plan.ranked)).toEqual(['apac/llama-3.1-8b/0', 'eu-west/llama-3.1-8b/0', 'us-east/llama-3.1-8b/pod-b', 'us-east/llama-3.1-8b/pod-a']);
  });
});

describe('regionPoolPicker', () => {
  const scored = (totals: readonly number[]): Scored[] => totals.map((total, i) => ({ candidate: llama[i] as Candidate, total, parts: {} }));

  it('ranks regions by their best total, then orders each region\'s pool', () => {
    // llama: us-east pod-a, us-east pod-b, eu-west, apac
    const order = ids(regionPoolPicker(() => 0.5).pick(scored([0.1, 0.9, 0.5, 0.7]), state, request));
    expect(order.slice(0, 2).sort()).toEqual(['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b']);
    expect(order.slice(2)).toEqual(['apac/llama-3.1-8b/0', 'eu-west/llama-3.1-8b/0']);
  });

  it('alternates the two us-east pods with the model\'s round robin, every region in every answer', () => {
    const picker = regionPoolPicker(seeded(3));
    const firsts: string[] = [];
    for (let i = 0; i < 10; i++) {
      const order = ids(picker.pick(scored([1, 1, 0, 0]), state, request));
      expect(new Set(order).size).toBe(4);
      firsts.push(order[0] ?? '');
    }
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]).not.toBe(firsts[i - 1]);
    expect(picker.pools).toBe(1);
  });

  it('breaks ties between regions with the injected random', () => {
    const tied = [0, 0, 1, 1];
    const a = ids(regionPoolPicker(seeded(42)).pick(scored(tied), state, request));
    const b = ids(regionPoolPicker(seeded(42)).pick(scored(tied), state, request));
    expect(a).toEqual(b);
    const firsts = new Set<string>();
    const random = seeded(9);
    for (let i = 0; i < 100; i++) firsts.add(ids(regionPoolPicker(random).pick(scored(tied), state, request))[0] ?? '');
    expect(firsts).toEqual(new Set(['eu-west/llama-3.1-8b/0', 'apac/llama-3.1-8b/0']));
  });

  it('keeps a session on one pod of a consistent-hash pool', () => {
    const sticky = { ...request, model: { ...request.model, loadBalancing: 'consistent-hash' as const }, sessionKey: 'session-17' };
    const picker = regionPoolPicker(seeded(5));
    const firsts = new Set<string>();
    for (let i = 0; i < 20; i++) firsts.add(ids(picker.pick(scored([1, 1, 0, 0]), state, sticky))[0] ?? '');
    expect(firsts.size).toBe(1);
  });

  it('does not reorder its input', () => {
    const input = scored([0, 1, 0.5, 0.2]);
    regionPoolPicker(() => 0).pick(input, state, request);
    expect(ids(input)).toEqual(llama.map((c) => c.endpoint.id));
  });
});

describe('pipelineFromWeights', () => {
  it('builds the filters (key scope before health) and one weighted scorer per positive weight', () => {
    const built = pipelineFromWeights({ geo: 2, cost: 0.5 });
    expect(built.filters.map((f) => f.type)).toEqual(['serves-model', 'key-scope', 'placement', 'healthy', 'not-saturated']);
    expect(built.scorers.map((s) => [s.scorer.type, s.weight])).toEqual([
      ['geo', 2],
      ['cost', 0.5],
      ['error-rate', 5], // not named: twice the others together
    ]);
    expect(built.nearest.map((s) => [s.scorer.type, s.weight])).toEqual([
      ['geo', 1],
      ['error-rate', 2],
    ]);
    expect(built.picker.type).toBe('region-pool');
  });

  it('leaves out a scorer weighted 0, error-rate too when the policy says so', () => {
    expect(pipelineFromWeights({ geo: 1, cost: 0 }).scorers.map((s) => s.scorer.type)).toEqual(['geo', 'error-rate']);
    const off = pipelineFromWeights({ geo: 1, 'error-rate': 0 });
    expect(off.scorers.map((s) => s.scorer.type)).toEqual(['geo']);
    expect(off.nearest.map((s) => s.scorer.type)).toEqual(['geo']);
    const named = pipelineFromWeights({ 'error-rate': 3, geo: 1 });
    expect(named.scorers.map((s) => [s.scorer.type, s.weight])).toEqual([['error-rate', 3], ['geo', 1]]);
    expect(named.nearest.map((s) => [s.scorer.type, s.weight])).toEqual([['geo', 1], ['error-rate', 3]]);
  });

  it('throws on an unknown scorer', () => {
    expect(() => pipelineFromWeights({ geo: 1, vibes: 1 })).toThrow('routing policy weights an unknown scorer "vibes"');
  });

  it('routes a model only to its own endpoints, within the key scope', () => {
    const plan = planRoute(pipelineFromWeights({ geo: 1 }), routeRequest(fleet, 'qwen2.5-32b', { key: { residency: ['eu'] } }), all, state);
    expect(plan.ok && ids(plan.ranked)).toEqual(['eu-west/qwen2.5-32b/0']);
  });

  it('reports the key-scope filter when the model is served only outside the key scope', () => {
    const plan = planRoute(pipelineFromWeights({ geo: 1 }), routeRequest(fleet, 'llama-3.1-70b', { key: { residency: ['eu'] } }), all, state);
    expect(plan.ok).toBe(false);
    expect(!plan.ok && [plan.droppedBy.type, plan.reason]).toEqual([
      'key-scope',
      'no endpoint for this model is in a region or residency zone your API key allows',
    ]);
  });

  it('reports the serves-model filter when no endpoint serves the model', () => {
    const ghost: RouteRequest = { ...request, model: { ...request.model, id: 'ghost' } };
    const plan = planRoute(pipelineFromWeights({ geo: 1 }), ghost, all, state);
    expect(!plan.ok && [plan.droppedBy.type, plan.reason]).toEqual(['serves-model', 'no endpoint serves this model (declared in the fleet and listed by the server)']);
  });

  it('ranks the nearest region first for a located caller, weighting geo by the policy', () => {
    const tokyo = { latitude: 35.68, longitude: 139.69, continent: 'AS' as const };
    const plan = planRoute(pipelineFromWeights({ geo: 2 }, regionPoolPicker(seeded(1))), unplaced(routeRequest(fleet, 'llama-3.1-8b', { caller: tokyo })), all, state);
    if (!plan.ok) throw new Error('expected a route');
    expect(plan.ranked.map((s) => s.candidate.region.id)).toEqual(['apac', 'eu-west', 'us-east', 'us-east']);
    const best = plan.ranked[0];
    expect(best?.total).toBeCloseTo(2 * (best?.parts['geo'] ?? Number.NaN), 12);
    expect(best?.parts['geo']).toBeGreaterThan(0.7);
  });
});
