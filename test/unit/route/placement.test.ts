// Pattern 6's tiers in places: a central tier only in regions marked central, an edge tier at
// the nearest region serving it, and a fleet that cannot honour a placement refused at compile.
import { describe, expect, it } from 'vitest';
import type { CompiledFleet, CompiledModel } from '../../../src/fleet/compiled.ts';
import { FleetError, parseFleet } from '../../../src/fleet/load.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { placement } from '../../../src/route/filters/placement.ts';
import { pipelineFromWeights, planRoute } from '../../../src/route/pipeline.ts';
import type { CallerGeo } from '../../../src/route/types.ts';
import { regionDoc } from '../../support/region-doc.ts';
import { candidatesOf, ROUTE_STATE } from '../core/fixtures.ts';

const REGION = (name: string, lat: number, lon: number, continent: string, placements?: string) =>
  regionDoc(name, lat, lon, continent, `ingress: { domain: ${name}.example }`, ...(placements ? [`placement: [${placements}]`] : []));

const MODEL = (name: string, tier: string, regions: string) => `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${name}
  labels: { switchyard.dev/tier: ${tier} }
  annotations: { switchyard.dev/regions: "${regions}" }
spec:
  predictor:
    model: { modelFormat: { name: vLLM } }
`;

const TIER = (name: string, rank: number, where?: string) => `
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: ${name} }
spec: { rank: ${rank}${where ? `, placement: ${where}` : ''} }
`;

const fleetOf = (...docs: string[]): CompiledFleet => compileFleet(parseFleet(docs.join('---\n'), 'placement.yaml'));

// Three regions; only Virginia is central. Every model is listed in every region, so only placement can narrow it.
const FLEET = fleetOf(
  REGION('virginia', 38.9, -77.4, 'NA', 'edge, regional, central'),
  REGION('dublin', 53.3, -6.3, 'EU', 'edge, regional'),
  REGION('singapore', 1.35, 103.8, 'AS', 'edge'),
  TIER('small', 1, 'edge'),
  TIER('medium', 2, 'regional'),
  TIER('large', 3, 'central'),
  MODEL('edge-7b', 'small', 'virginia,dublin,singapore'),
  MODEL('regional-13b', 'medium', 'virginia,dublin,singapore'),
  MODEL('central-70b', 'large', 'virginia,dublin,singapore'),
);

const model = (id: string): CompiledModel => {
  const m = FLEET.models.find((x) => x.id === id);
  if (!m) throw new Error(id);
  return m;
};
const plan = (id: string, caller?: CallerGeo) => planRoute(pipelineFromWeights({ geo: 1, cost: 1 }), { model: model(id), key: {}, caller }, candidatesOf(FLEET, id), ROUTE_STATE);
const regions = (id: string, caller?: CallerGeo) => {
  const p = plan(id, caller);
  return p.ok ? p.ranked.map((s) => s.candidate.region.id) : [];
};

describe('the placement filter', () => {
  it('gives each model its tier placement', () => {
    expect(FLEET.models.map((m) => [m.id, m.placement])).toEqual([
      ['edge-7b', 'edge'],
      ['regional-13b', 'regional'],
      ['central-70b', 'central'],
    ]);
  });

  it.each([
    ['central: only the region marked central', 'central-70b', ['virginia']],
    ['regional: the regions hosting regional', 'regional-13b', ['virginia', 'dublin']],
    ['edge: the regions hosting edge', 'edge-7b', ['virginia', 'dublin', 'singapore']],
  ])('keeps %s', (_what, id, kept) => {
    const out = placement().filter({ model: model(id), key: {}, caller: undefined }, candidatesOf(FLEET, id), ROUTE_STATE);
    expect(out.map((c) => c.region.id)).toEqual(kept);
  });

  it('counts a region that declares no placement as hosting every placement', () => {
    const open = fleetOf(REGION('anywhere', 0, 0, 'AF'), TIER('large', 1, 'central'), MODEL('central-70b', 'large', 'anywhere'));
    const m = open.models[0] as CompiledModel;
    expect(placement().filter({ model: m, key: {}, caller: undefined }, candidatesOf(open, 'central-70b'), ROUTE_STATE)).toHaveLength(1);
  });

  it('lets a model without a placement through everywhere', () => {
    const { placement: _, ...unplaced } = model('central-70b');
    const out = placement().filter({ model: unplaced, key: {}, caller: undefined }, candidatesOf(FLEET, 'central-70b'), ROUTE_STATE);
    expect(out).toHaveLength(3);
  });

  it('routes a central-tier request to the central region even for a caller next to another', () => {
    expect(regions('central-70b', { latitude: 1.3, longitude: 103.9, continent: 'AS' })).toEqual(['virginia']);
    const p = plan('central-70b');
    expect(p.ok && p.reason).toMatch(/placement=central/);
  });
});

describe('edge placement: the nearest region serving the model', () => {
  it.each<[string, CallerGeo, string[]]>([
    ['a caller in Singapore', { latitude: 1.3, longitude: 103.9 }, ['singapore', 'dublin', 'virginia']],
    ['a caller in Paris', { latitude: 48.9, longitude: 2.35 }, ['dublin', 'virginia', 'singapore']],
    ['a caller in New York', { latitude: 40.7, longitude: -74 }, ['virginia', 'dublin', 'singapore']],
  ])('%s goes nearest first, the fallbacks by distance', (_who, caller, order) => {
    expect(regions('edge-7b', caller)).toEqual(order);
  });

  it('ignores the policy weights that could outvote distance (cost here)', () => {
    const edge = plan('edge-7b', { latitude: 1.3, longitude: 103.9 });
    expect(edge.ok && Object.keys(edge.ranked[0]?.parts ?? {})).toEqual(['geo']);
    const regional = plan('regional-13b', { latitude: 1.3, longitude: 103.9 });
    expect(regional.ok && Object.keys(regional.ranked[0]?.parts ?? {}).sort()).toEqual(['cost', 'geo']);
  });
});

describe('compiling placements', () => {
  it('refuses a placed tier whose models no region hosting that placement serves', () => {
    const compile = () =>
      fleetOf(REGION('dublin', 53.3, -6.3, 'EU', 'edge'), TIER('large', 1, 'central'), MODEL('central-70b', 'large', 'dublin'));
    expect(compile).toThrow(FleetError);
    expect(compile).toThrow(/placement central.*none of its regions hosts central/);
  });

  it('refuses an unknown placement', () => {
    expect(() => fleetOf(REGION('dublin', 53.3, -6.3, 'EU', 'orbit'))).toThrow(/placement/);
  });

  it('tells the reference tier rules which tier is edge, regional and central', () => {
    expect(FLEET.routing.tierRules.reference.placements).toEqual({ edge: 'small', regional: 'medium', central: 'large' });
  });
});
