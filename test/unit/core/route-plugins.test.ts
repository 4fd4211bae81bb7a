import { describe, expect, it } from 'vitest';
import type { CompiledRegion } from '../../../src/fleet/compiled.ts';
import { keyScope } from '../../../src/route/filters/key-scope.ts';
import { servesModel } from '../../../src/route/filters/serves-model.ts';
import { costScorer } from '../../../src/route/scorers/cost.ts';
import { distanceKm, geoScorer } from '../../../src/route/scorers/geo.ts';
import type { CallerGeo, Candidate, KeyScope } from '../../../src/route/types.ts';
import { candidatesOf, localFleet, ROUTE_STATE, routeRequest } from './fixtures.ts';

const fleet = localFleet();
const state = ROUTE_STATE;
/** One endpoint per region of the local fleet: us-east, eu-west, apac. */
const oneEach = candidatesOf(fleet, 'llama-3.1-8b').filter((c) => c.endpoint.id !== 'us-east/llama-3.1-8b/pod-b');
const regionsOf = (list: readonly Candidate[]) => list.map((c) => c.region.id);

describe('the key-scope filter', () => {
  const llama = candidatesOf(fleet, 'llama-3.1-8b');
  const filter = (key: KeyScope) => regionsOf(keyScope().filter(routeRequest(fleet, 'llama-3.1-8b', { key }), llama, state));

  it.each<[string, KeyScope, string[]]>([
    ['neither regions nor residency: everywhere', {}, ['us-east', 'us-east', 'eu-west', 'apac']],
    ['empty lists: everywhere', { regions: [], residency: [] }, ['us-east', 'us-east', 'eu-west', 'apac']],
    ['regions only', { regions: ['eu-west', 'apac'] }, ['eu-west', 'apac']],
    ['residency only', { residency: ['us'] }, ['us-east', 'us-east']],
    ['both: a region must satisfy both', { regions: ['us-east', 'eu-west'], residency: ['eu', 'apac'] }, ['eu-west']],
    ['both, disjoint: nothing', { regions: ['us-east'], residency: ['eu'] }, []],
    ['an unknown zone: nothing', { residency: ['mars'] }, []],
  ])('keeps %s', (_what, key, regions) => {
    expect(filter(key)).toEqual(regions);
  });
});

describe('the serves-model filter', () => {
  it('keeps only the endpoints of the requested model', () => {
    const kept = servesModel().filter(routeRequest(fleet, 'qwen2.5-32b'), candidatesOf(fleet), state);
    expect(kept.map((c) => c.endpoint.id)).toEqual(['us-east/qwen2.5-32b/0', 'eu-west/qwen2.5-32b/0']);
  });
});

describe('distanceKm', () => {
  it('puts London about 5,570 km from New York (within 1%)', () => {
    const km = distanceKm(51.5074, -0.1278, 40.7128, -74.006);
    expect(Math.abs(km - 5570) / 5570).toBeLessThan(0.01);
  });

  it.each([
    ['a point to itself', 48.86, 2.35, 48.86, 2.35, 0],
    ['a quarter of the equator', 0, 0, 0, 90, (Math.PI / 2) * 6371],
    ['pole to pole', 90, 0, -90, 0, Math.PI * 6371],
    ['antipodes', 10, 20, -10, -160, Math.PI * 6371],
  ])('measures %s (to the metre)', (_what, aLat, aLon, bLat, bLon, km) => {
    // asin is ill-conditioned near the antipode: a metre is as close as doubles get there.
    expect(Math.abs(distanceKm(aLat, aLon, bLat, bLon) - km)).toBeLessThan(0.001);
  });

  it('is symmetric', () => {
    expect(distanceKm(35.68, 139.69, -33.87, 151.21)).toBeCloseTo(distanceKm(-33.87, 151.21, 35.68, 139.69), 9);
  });
});

describe('the geo scorer', () => {
  const score = (caller: CallerGeo | undefined) => geoScorer().score(routeRequest(fleet, 'llama-3.1-8b', { caller }), oneEach, state);
  const ranking = (caller: CallerGeo) => {
    const scores = score(caller);
    return oneEach.map((c, i) => [c.region.id, scores[i] ?? -1] as const).sort((a, b) => b[1] - a[1]).map(([id]) => id);
  };

  it.each<[string, CallerGeo, string[]]>([
    ['New York', { latitude: 40.71, longitude: -74.01, continent: 'NA' }, ['us-east', 'eu-west', 'apac']],
    ['San Francisco', { latitude: 37.77, longitude: -122.42, continent: 'NA' }, ['us-east', 'eu-west', 'apac']],
    ['São Paulo', { latitude: -23.55, longitude: -46.63, continent: 'SA' }, ['us-east', 'eu-west', 'apac']],
    ['Paris', { latitude: 48.86, longitude: 2.35, continent: 'EU' }, ['eu-west', 'us-east', 'apac']],
    ['Frankfurt', { latitude: 50.11, longitude: 8.68, continent: 'EU' }, ['eu-west', 'us-east', 'apac']],
    ['Tokyo', { latitude: 35.68, longitude: 139.69, continent: 'AS' }, ['apac', 'eu-west', 'us-east']],
    ['Mumbai', { latitude: 19.08, longitude: 72.88, continent: 'AS' }, ['apac', 'eu-west', 'us-east']],
    ['Sydney', { latitude: -33.87, longitude: 151.21, continent: 'OC' }, ['apac', 'us-east', 'eu-west']],
  ])('ranks the regions for a caller in %s by distance', (_city, caller, order) => {
    expect(ranking(caller)).toEqual(order);
  });

  it('scores 1 minus the distance over half the earth circumference', () => {
    const [us, eu, apac] = score({ latitude: 40.71, longitude: -74.01 });
    const half = Math.PI * 6371;
    expect(us).toBeCloseTo(1 - distanceKm(40.71, -74.01, 38.9, -77.4) / half, 9);
    expect(eu).toBeCloseTo(1 - distanceKm(40.71, -74.01, 53.3, -6.3) / half, 9);
    expect(apac).toBeCloseTo(1 - distanceKm(40.71, -74.01, 1.35, 103.8) / half, 9);
    expect(us).toBeGreaterThan(0.98); // ~350 km away
  });

  it('scores a region at the caller antipode 0 and one at the caller location 1', () => {
    const [us] = score({ latitude: -38.9, longitude: 102.6 });
    const [, eu] = score({ latitude: 53.3, longitude: -6.3 });
    expect(us).toBeCloseTo(0, 6);
    expect(eu).toBeCloseTo(1, 9);
  });

  it.each<[string, CallerGeo, number[]]>([
    ['Europe', { continent: 'EU' }, [0, 1, 0]],
    ['North America', { continent: 'NA' }, [1, 0, 0]],
    ['Asia', { continent: 'AS' }, [0, 0, 1]],
    ['Africa (no region there)', { continent: 'AF' }, [0, 0, 0]],
    ['Europe with only a latitude', { latitude: 48.86, continent: 'EU' }, [0, 1, 0]],
  ])('falls back to the continent when only the continent is known: %s', (_what, caller, scores) => {
    expect(score(caller)).toEqual(scores);
  });

  it.each<[string, CallerGeo | undefined]>([
    ['no geo at all', undefined],
    ['an empty geo', {}],
    ['only a country', { country: 'FR' }],
  ])('scores every region 1 for a caller with %s', (_what, caller) => {
    expect(score(caller)).toEqual([1, 1, 1]);
  });
});

describe('the cost scorer', () => {
  const region = (id: string, input: number, output: number): CompiledRegion => ({
    id,
    residency: id,
    location: { latitude: 0, longitude: 0, continent: 'EU' },
    pricing: { inputPerMillionTokensUsd: input, outputPerMillionTokensUsd: output },
  });
  const template = oneEach[0] as Candidate;
  const priced = (prices: readonly [number, number][]): Candidate[] =>
    prices.map(([input, output], i) => ({ endpoint: { ...template.endpoint, id: `r${i}/m/0`, region: `r${i}` }, region: region(`r${i}`, input, output) }));
  const score = (candidates: readonly Candidate[]) => costScorer().score(routeRequest(fleet, 'llama-3.1-8b'), candidates, state);

  it.each<[string, [number, number][], number[]]>([
    ['dearest 0, cheapest 1, linear between', [[5, 5], [2.5, 2.5], [0, 0]], [0, 0.5, 1]],
    ['input and output summed', [[0.1, 0.3], [0.3, 0.1], [0.4, 0.4]], [1, 1, 0]],
    ['all equal: all 1', [[0.05, 0.15], [0.1, 0.1], [0.2, 0]], [1, 1, 1]],
    ['all unpriced: all 1', [[0, 0], [0, 0]], [1, 1]],
    ['a single candidate: 1', [[3, 9]], [1]],
  ])('scores %s', (_what, prices, scores) => {
    const got = score(priced(prices));
    expect(got).toHaveLength(scores.length);
    got.forEach((s, i) => expect(s).toBeCloseTo(scores[i] ?? Number.NaN, 9));
  });

  it('prefers us-east, then eu-west, then apac in the local fleet', () => {
    const [us, eu, apac] = score(oneEach);
    expect(us).toBe(1);
    expect(eu).toBeCloseTo((0.27 - 0.24) / (0.27 - 0.2), 9);
    expect(apac).toBe(0);
  });
});
