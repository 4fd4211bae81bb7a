import { readFileSync } from 'node:fs';
import { GENERATE } from '../../../src/api/openai-endpoints.ts';
import { describe, expect, it } from 'vitest';
import { compileFleet } from '../../../src/fleet/compile.ts';
import type { CompiledFleet } from '../../../src/fleet/compiled.ts';
import { FleetError, parseFleet, type FleetProblem } from '../../../src/fleet/load.ts';
import { compileFile, FLEET_FILE, LOCAL_FLEET_FILE } from './fixtures.ts';

// ---------------------------------------------------------------- a small synthetic fleet

const REGION_US = `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata:
  name: us-east
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  ingress: { domain: us-east.example }
`;

const REGION_EU = `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata:
  name: eu-west
spec:
  location: { latitude: 53.3, longitude: -6.3, continent: EU }
  residency: eu
  ingress: { domain: eu-west.example }
`;

const TIER_SMALL = `apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata:
  name: small
spec:
  rank: 1
`;

const MODEL_TINY = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: tiny
  labels:
    switchyard.dev/tier: small
spec:
  predictor:
    model:
      modelFormat:
        name: vLLM
`;

const POLICY = `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata:
  name: default
spec:
  weights: { geo: 1 }
`;

const tier = (name: string, rank: number) => TIER_SMALL.replace('name: small', `name: ${name}`).replace('rank: 1', `rank: ${rank}`);
/** small, medium and large: the tier names the shipped tier rules default to. */
const THREE_TIERS = [TIER_SMALL, tier('medium', 2), tier('large', 3)].join('---\n');

const fleetText = (...docs: string[]) => docs.join('---\n');
const compileText = (text: string, source = 'fleet.test.yaml'): CompiledFleet => compileFleet(parseFleet(text, source));

/** 1-based number of the `occurrence`-th line of `text` that contains `needle`. */
function lineOf(text: string, needle: string, occurrence = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if ((lines[i] ?? '').includes(needle)) {
      seen += 1;
      if (seen === occurrence) return i + 1;
    }
  }
  throw new Error(`fixture: "${needle}" (occurrence ${occurrence}) is not in the text`);
}

/** The problems of the FleetError that parsing and compiling `text` throws. */
function problemsOf(text: string): readonly FleetProblem[] {
  try {
    compileText(text);
  } catch (error) {
    if (error instanceof FleetError) return error.problems;
    throw error;
  }
  throw new Error('expected a FleetError, but the fleet compiled');
}

describe('the real fleet files', () => {
  describe(FLEET_FILE, () => {
    const fleet = compileFile(FLEET_FILE);

    it('derives each endpoint URL from the region ingress domain, with /openai/v1 for the Hugging Face runtime and /v1 for kserve-vllmserver and LLMDeployment', () => {
      expect(fleet.endpoints.map((e) => [e.id, e.baseUrl, e.pathStyle])).toEqual([
        ['us-east/llama-3.1-8b/0', 'https://llama-3-1-8b.llm.us-east.inference.switchyard.example/openai/v1', 'openai-v1'],
        ['eu-west/llama-3.1-8b/0', 'https://llama-3-1-8b.llm.eu-west.inference.switchyard.example/openai/v1', 'openai-v1'],
        ['apac/llama-3.1-8b/0', 'https://llama-3-1-8b.llm.apac.inference.switchyard.example/openai/v1', 'openai-v1'],
        ['us-east/qwen2.5-32b/0', 'https://qwen2-5-32b.llm.us-east.inference.switchyard.example/v1', 'v1'],
        ['eu-west/qwen2.5-32b/0', 'https://qwen2-5-32b.llm.eu-west.inference.switchyard.example/v1', 'v1'],
        ['us-east/llama-3.1-70b/0', 'https://llama-3-1-70b.llm.us-east.inference.switchyard.example/v1', 'v1'],
      ]);
    });

    it('serves each model under its annotated id, in its tier, with the policy load balancer', () => {
      expect(fleet.models).toEqual([
        { id: 'llama-3.1-8b', aliases: [], capabilities: GENERATE, tier: 'small', placement: 'edge', loadBalancing: 'least-connections', gpusPerReplica: 1, source: { kind: 'InferenceService', name: 'llama-3-1-8b', namespace: 'llm' } },
        { id: 'qwen2.5-32b', aliases: [], capabilities: GENERATE, tier: 'medium', placement: 'regional', loadBalancing: 'least-connections', gpusPerReplica: 2, source: { kind: 'InferenceService', name: 'qwen2-5-32b', namespace: 'llm' } },
        { id: 'llama-3.1-70b', aliases: [], capabilities: GENERATE, tier: 'large', placement: 'central', loadBalancing: 'least-connections', gpusPerReplica: 6, source: { kind: 'LLMDeployment', name: 'llama-3-1-70b', namespace: 'llm' } },
      ]);
    });

    it('compiles the three regions with location, residency, pricing, credentials secret, kube context and placements', () => {
      expect(fleet.regions.map((r) => r.id)).toEqual(['us-east', 'eu-west', 'apac']);
      expect(fleet.regions[1]).toEqual({
        id: 'eu-west',
        residency: 'eu',
        location: { latitude: 53.3, longitude: -6.3, continent: 'EU', country: 'IE' },
        pricing: { gpuHourUsd: 2.89, inputPerMillionTokensUsd: 0.06, outputPerMillionTokensUsd: 0.18 },
        credentialsSecret: 'UPSTREAM_KEY_EU_WEST',
        kubeContext: 'gke_switchyard_europe-west1_inference',
        placement: ['edge', 'regional'],
      });
    });

    it('keeps the routing policy as written', () => {
      // tierRules belong to the classifier module and are tested there.
      const { tierRules: _tierRules, ...routing } = fleet.routing;
      expect(routing).toEqual({
        weights: { geo: 2 },
        loadBalancing: 'least-connections',
        timeouts: { connectMs: 3000, firstByteMs: 60000, totalMs: 600000, streamIdleMs: 60000 },
        limits: { maxBodyBytes: 4194304, maxUploadBytes: 25 * 1024 * 1024 },
        cors: { allowedOrigins: [], maxAgeSeconds: 600 },
        environment: 'production',
        kvTransfer: { fromClients: false, remoteHosts: [] },
        midStreamFailover: { enabled: false, maxContinuations: 2, maxTextChars: 256 * 1024 },
      });
    });

    it('lists the tiers by rank with their default models and placements', () => {
      expect(fleet.tiers).toEqual([
        { name: 'small', rank: 1, defaultModel: 'llama-3.1-8b', placement: 'edge' },
        { name: 'medium', rank: 2, defaultModel: 'qwen2.5-32b', placement: 'regional' },
        { name: 'large', rank: 3, defaultModel: 'llama-3.1-70b', placement: 'central' },
      ]);
    });

    it('keeps the reference resources whole, unknown fields included, for infra to render', () => {
      const parsed = parseFleet(readFileSync(FLEET_FILE, 'utf8'), FLEET_FILE);
      expect(parsed.cachePolicies).toHaveLength(1);
      expect(parsed.cachePolicies[0]?.spec.prefixSharing).toEqual({ enabled: true, minLength: 100 });
      expect(parsed.llmDeployments[0]?.spec.router).toEqual({ scheduler: 'prefix-cache-aware' });
      expect(parsed.inferenceServices[0]?.metadata.annotations?.['serving.kserve.io/autoscalerClass']).toBe('hpa');
    });
  });

  describe(LOCAL_FLEET_FILE, () => {
    const fleet = compileFile(LOCAL_FLEET_FILE);

    it('uses the explicit endpoints by URL, with each one path style and name', () => {
      expect(fleet.endpoints.map((e) => [e.id, e.baseUrl])).toEqual([
        ['us-east/llama-3.1-8b/pod-a', 'http://127.0.0.1:8101/v1'],
        ['us-east/llama-3.1-8b/pod-b', 'http://127.0.0.1:8102/v1'],
        ['eu-west/llama-3.1-8b/0', 'http://127.0.0.1:8201/v1'],
        ['apac/llama-3.1-8b/0', 'http://127.0.0.1:8301/v1'],
        ['us-east/qwen2.5-32b/0', 'http://127.0.0.1:8103/openai/v1'],
        ['eu-west/qwen2.5-32b/0', 'http://127.0.0.1:8202/openai/v1'],
        ['us-east/llama-3.1-70b/0', 'http://127.0.0.1:8104/v1'],
      ]);
      expect(fleet.endpoints.every((e) => e.weight === 1 && e.backend === 'vllm')).toBe(true);
    });

    it('takes the served model id from --model_name= when there is no annotation', () => {
      expect(fleet.models.map((m) => m.id)).toEqual(['llama-3.1-8b', 'qwen2.5-32b', 'llama-3.1-70b']);
    });

    it('fills in the default body limit and keeps the timeouts as written', () => {
      expect(fleet.routing.limits).toEqual({ maxBodyBytes: 4 * 1024 * 1024, maxUploadBytes: 25 * 1024 * 1024 });
      expect(fleet.routing.timeouts).toEqual({ connectMs: 2000, firstByteMs: 30000, totalMs: 300000, streamIdleMs: 30000 });
      expect(fleet.models.every((m) => m.loadBalancing === 'round-robin')).toBe(true);
    });
  });
});

describe('compiling a fleet', () => {
  it('derives https://{name}.{namespace}.{domain}/v1 in every region when the model lists none', () => {
    const fleet = compileText(fleetText(REGION_US, REGION_EU, TIER_SMALL, MODEL_TINY));
    expect(fleet.endpoints).toEqual([
      { id: 'us-east/tiny/0', model: 'tiny', region: 'us-east', baseUrl: 'https://tiny.llm.us-east.example/v1', pathStyle: 'v1', weight: 1, backend: 'vllm' },
      { id: 'eu-west/tiny/0', model: 'tiny', region: 'eu-west', baseUrl: 'https://tiny.llm.eu-west.example/v1', pathStyle: 'v1', weight: 1, backend: 'vllm' },
    ]);
  });

  it('uses the resource namespace over the region namespace, and the ingress scheme', () => {
    const region = REGION_US.replace('ingress: { domain: us-east.example }', 'ingress: { domain: us-east.example, scheme: http }\n  namespace: models');
    const model = MODEL_TINY.replace('  name: tiny\n', '  name: tiny\n  namespace: team-a\n');
    expect(compileText(fleetText(region, TIER_SMALL, MODEL_TINY)).endpoints[0]?.baseUrl).toBe('http://tiny.models.us-east.example/v1');
    expect(compileText(fleetText(region, TIER_SMALL, model)).endpoints[0]?.baseUrl).toBe('http://tiny.team-a.us-east.example/v1');
  });

  it('sorts the tiers by rank whatever their order in the file', () => {
    const fleet = compileText(fleetText(REGION_US, tier('large', 3), tier('small', 1), tier('medium', 2)));
    expect(fleet.tiers).toEqual([
      { name: 'small', rank: 1 },
      { name: 'medium', rank: 2 },
      { name: 'large', rank: 3 },
    ]);
  });

  const withArgs = (args: string) => MODEL_TINY.replace('        name: vLLM\n', `        name: vLLM\n      args: ${args}\n`);
  it.each([
    ['the switchyard.dev/model annotation, over the args', MODEL_TINY.replace('  labels:', '  annotations: { switchyard.dev/model: tiny-v2 }\n  labels:').replace('        name: vLLM\n', '        name: vLLM\n      args: ["--model_name=other"]\n'), 'tiny-v2'],
    ['--model_name=NAME', withArgs('["--backend=vllm", "--model_name=tiny-from-arg"]'), 'tiny-from-arg'],
    ['--served-model-name=NAME', withArgs('["--served-model-name=tiny-served"]'), 'tiny-served'],
    ['--served-model-name NAME (two args)', withArgs('["--max-model-len=4096", "--served-model-name", "tiny-two-args"]'), 'tiny-two-args'],
    ['metadata.name when nothing else names it', withArgs('["--max-model-len=4096"]'), 'tiny'],
  ])('takes the served model id from %s', (_how, model, id) => {
    const fleet = compileText(fleetText(REGION_US, TIER_SMALL, model));
    expect(fleet.models.map((m) => m.id)).toEqual([id]);
    expect(fleet.endpoints.map((e) => e.id)).toEqual([`us-east/${id}/0`]);
  });

  it('keeps unknown fields of reference resources (loose) and ignores empty documents', () => {
    const model = `${MODEL_TINY}    tolerations: [{ key: nvidia.com/gpu, operator: Exists }]
  transformer: { containers: [] }
status: { url: http://tiny.llm.example }
`;
    const text = `${fleetText(REGION_US, TIER_SMALL, model, '# only a comment\n')}---\n`;
    const fleet = parseFleet(text, 'loose.yaml');
    expect(fleet.inferenceServices).toHaveLength(1);
    const spec = fleet.inferenceServices[0]?.spec as Record<string, unknown>;
    expect(spec['transformer']).toEqual({ containers: [] });
    expect((spec['predictor'] as Record<string, unknown>)['tolerations']).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists' }]);
    expect(compileFleet(fleet).endpoints).toHaveLength(1);
  });

  it('accepts a RoutingPolicy without tierRules whatever the fleet names its tiers', () => {
    const tiers = [tier('edge', 1), tier('regional', 2), tier('central', 3)].join('---\n');
    const model = MODEL_TINY.replace('switchyard.dev/tier: small', 'switchyard.dev/tier: edge');
    const fleet = compileText(fleetText(REGION_US, tiers, model, POLICY));
    expect(fleet.tiers.map((t) => t.name)).toEqual(['edge', 'regional', 'central']);
  });

  it('reports every problem of the file at once, with the file name in the message', () => {
    const text = fleetText(REGION_US.replace('latitude: 38.9', 'latitude: "north"'), TIER_SMALL.replace('kind: Tier', 'kind: Teir'));
    let caught: unknown;
    try {
      compileText(text, 'infra/broken.yaml');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FleetError);
    const error = caught as FleetError;
    expect(error.file).toBe('infra/broken.yaml');
    expect(error.problems.map((p) => [p.document, p.field])).toEqual([
      [1, 'spec.location.latitude'],
      [2, 'kind'],
    ]);
    expect(error.message.split('\n')).toEqual([
      'infra/broken.yaml: invalid fleet file',
      '  document 1 Region "us-east": spec.location.latitude (line 6): Invalid input: expected number, received string',
      '  document 2 Teir "small": kind (line 11): unknown kind "Teir"; expected one of Region, Tier, RoutingPolicy, InferenceService, LLMDeployment, CachePolicy',
    ]);
  });
});

describe('an invalid fleet file', () => {
  const tierDoc = TIER_SMALL.replace('kind: Tier', 'kind: Tier: x');
  const syntax = fleetText(REGION_US, tierDoc);
  const nonMapping = fleetText(REGION_US, '- just\n- a list\n');
  const unknownKind = fleetText(REGION_US.replace('kind: Region', 'kind: Regoin'));
  const latitude = fleetText(REGION_US.replace('latitude: 38.9', 'latitude: "38.9N"'), TIER_SMALL, MODEL_TINY);
  const missingInFlow = fleetText(REGION_US.replace('longitude: -77.4, ', ''), TIER_SMALL, MODEL_TINY);
  const invalidName = fleetText(REGION_US.replace('name: us-east', 'name: US_East'));

  it.each<[string, string, FleetProblem[]]>([
    ['a YAML syntax error', syntax, [{ document: 2, field: '', line: lineOf(syntax, 'kind: Tier: x'), message: 'YAML syntax: Nested mappings are not allowed in compact mappings' }]],
    ['a document that is not a mapping', nonMapping, [{ document: 2, field: '', line: lineOf(nonMapping, '- just'), message: 'a document must be a mapping with apiVersion, kind, metadata and spec' }]],
    [
      'an unknown kind',
      unknownKind,
      [{ document: 1, kind: 'Regoin', name: 'us-east', field: 'kind', line: 2, message: 'unknown kind "Regoin"; expected one of Region, Tier, RoutingPolicy, InferenceService, LLMDeployment, CachePolicy' }],
    ],
    [
      'a latitude given as a string',
      latitude,
      [{ document: 1, kind: 'Region', name: 'us-east', field: 'spec.location.latitude', line: 6, message: 'Invalid input: expected number, received string' }],
    ],
    [
      'a required field missing from a flow mapping',
      missingInFlow,
      [{ document: 1, kind: 'Region', name: 'us-east', field: 'spec.location.longitude', line: 6, message: 'Invalid input: expected number, received undefined' }],
    ],
    [
      'a name that is not a DNS-1123 name',
      invalidName,
      [{ document: 1, kind: 'Region', name: 'US_East', field: 'metadata.name', line: 4, message: 'must be a lowercase DNS-1123 name (a-z, 0-9, "-", ".")' }],
    ],
  ])('names the document, kind, name, field and line of %s', (_what, text, problems) => {
    expect(problemsOf(text)).toEqual(problems);
  });

  it('reports a required field missing from a block mapping at the line of its parent key', () => {
    const text = fleetText(REGION_US.replace('  residency: us\n', ''), TIER_SMALL, MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      { document: 1, kind: 'Region', name: 'us-east', field: 'spec.residency', line: lineOf(text, 'spec:'), message: 'Invalid input: expected string, received undefined' },
    ]);
  });

  it('reports an unknown field of a Switchyard kind at the line of that field', () => {
    const text = fleetText(REGION_US, TIER_SMALL.replace('  rank: 1\n', '  rank: 1\n  replicas: 3\n'), MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      { document: 2, kind: 'Tier', name: 'small', field: 'spec', line: lineOf(text, 'replicas: 3'), message: 'Unrecognized key: "replicas"' },
    ]);
  });

  it('names a duplicate region at its second definition', () => {
    const text = fleetText(REGION_US, REGION_EU, REGION_US.replace('latitude: 38.9', 'latitude: 39.0'), TIER_SMALL, MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      { document: 3, kind: 'Region', name: 'us-east', field: 'metadata.name', line: lineOf(text, 'name: us-east', 2), message: 'duplicate Region "us-east"' },
    ]);
  });

  it('names a tier whose rank another tier already uses', () => {
    const medium = TIER_SMALL.replace('name: small', 'name: medium');
    const text = fleetText(REGION_US, TIER_SMALL, medium, MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      { document: 3, kind: 'Tier', name: 'medium', field: 'spec.rank', line: lineOf(text, 'rank: 1', 2), message: 'rank 1 is already used by tier "small"' },
      // Two tiers and no written tier rules: there is no calibrated cut-off to fall back on.
      {
        document: 0,
        field: 'RoutingPolicy.spec.tierRules',
        message: 'the fleet defines 2 tiers (small, medium); the calibrated defaults cover 3, so write tierRules with 1 scoreThresholds (add a RoutingPolicy document)',
      },
    ]);
  });

  it('names a model labelled with an unknown tier, at the line of the label', () => {
    const model = MODEL_TINY.replace('    switchyard.dev/tier: small\n', '    app: tiny\n    switchyard.dev/tier: huge\n');
    const text = fleetText(REGION_US, TIER_SMALL, model);
    expect(problemsOf(text)).toEqual([
      {
        document: 3,
        kind: 'InferenceService',
        name: 'tiny',
        field: 'metadata.labels.switchyard.dev/tier',
        line: lineOf(text, 'switchyard.dev/tier: huge'),
        message: 'unknown tier "huge"; defined tiers: small',
      },
    ]);
  });

  it('names an unknown region in the regions annotation, at the line of the annotation', () => {
    const model = MODEL_TINY.replace('  labels:', '  annotations:\n    team: research\n    switchyard.dev/regions: us-east,mars\n  labels:');
    const text = fleetText(REGION_US, REGION_EU, TIER_SMALL, model);
    expect(problemsOf(text)).toEqual([
      {
        document: 4,
        kind: 'InferenceService',
        name: 'tiny',
        field: 'metadata.annotations.switchyard.dev/regions',
        line: lineOf(text, 'switchyard.dev/regions: us-east,mars'),
        message: 'unknown region "mars"; defined regions: us-east, eu-west',
      },
    ]);
  });

  it('names a region that serves a model but has neither an ingress domain nor an endpoint for it', () => {
    const text = fleetText(REGION_US, REGION_EU.replace('  ingress: { domain: eu-west.example }\n', ''), TIER_SMALL, MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      {
        document: 2,
        kind: 'Region',
        name: 'eu-west',
        field: 'spec',
        line: lineOf(text, 'spec:', 2),
        message: 'region serves model "tiny" but has neither spec.ingress.domain nor an entry for it in spec.endpoints',
      },
    ]);
  });

  it('names an explicit endpoint for a model no resource serves', () => {
    const region = `${REGION_US}  endpoints:\n    - { model: tiny, url: "http://127.0.0.1:9001" }\n    - { model: ghost, url: "http://127.0.0.1:9002" }\n`;
    const text = fleetText(region, TIER_SMALL, MODEL_TINY);
    expect(problemsOf(text)).toEqual([
      { document: 1, kind: 'Region', name: 'us-east', field: 'spec.endpoints.1.model', line: lineOf(text, 'model: ghost'), message: 'no InferenceService or LLMDeployment serves model "ghost"' },
    ]);
  });

  it('names an unknown load balancer annotation', () => {
    const model = MODEL_TINY.replace('  labels:', '  annotations:\n    switchyard.dev/load-balancing: random\n  labels:');
    const text = fleetText(REGION_US, TIER_SMALL, model);
    expect(problemsOf(text)).toEqual([
      {
        document: 3,
        kind: 'InferenceService',
        name: 'tiny',
        field: 'metadata.annotations.switchyard.dev/load-balancing',
        line: lineOf(text, 'load-balancing: random'),
        message: 'unknown load balancer "random"; expected one of round-robin, least-connections, weighted-round-robin, consistent-hash, p2c-ewma',
      },
    ]);
  });

  it('names an unknown scorer in the routing weights', () => {
    const text = fleetText(REGION_US, THREE_TIERS, MODEL_TINY, POLICY.replace('{ geo: 1 }', '{ geo: 1, vibes: 3 }'));
    expect(problemsOf(text)).toEqual([
      { document: 6, kind: 'RoutingPolicy', name: 'default', field: 'spec.weights.vibes', line: lineOf(text, 'vibes: 3'), message: 'unknown scorer "vibes"; known scorers: geo, cost, load, kv-cache, latency, session-affinity, prefix-affinity, error-rate' },
    ]);
  });

  it('takes mid-stream failover from the RoutingPolicy (off unless asked), and names a bad setting', () => {
    expect(compileText(fleetText(REGION_US, THREE_TIERS, MODEL_TINY, POLICY)).routing.midStreamFailover).toEqual({ enabled: false, maxContinuations: 2, maxTextChars: 262144 });
    const on = POLICY.replace('{ geo: 1 }', '{ geo: 1 }\n  midStreamFailover: { enabled: true, maxContinuations: 1 }');
    expect(compileText(fleetText(REGION_US, THREE_TIERS, MODEL_TINY, on)).routing.midStreamFailover).toEqual({ enabled: true, maxContinuations: 1, maxTextChars: 262144 });
    const bad = POLICY.replace('{ geo: 1 }', '{ geo: 1 }\n  midStreamFailover: { enabled: true, maxContinuations: 9, resume: true }');
    expect(problemsOf(fleetText(REGION_US, THREE_TIERS, MODEL_TINY, bad)).map((p) => p.field)).toEqual(expect.arrayContaining(['spec.midStreamFailover.maxContinuations']));
  });

  it('names a model format Switchyard cannot route to', () => {
    const text = fleetText(REGION_US, TIER_SMALL, MODEL_TINY.replace('name: vLLM', 'name: sklearn'));
    expect(problemsOf(text)).toEqual([
      {
        document: 3,
        kind: 'InferenceService',
        name: 'tiny',
        field: 'spec.predictor.model.modelFormat.name',
        line: lineOf(text, 'name: sklearn'),
        message: 'Switchyard routes to vLLM: modelFormat must be "huggingface" (vLLM backend) or "vLLM"',
      },
    ]);
  });

  it('names every RoutingPolicy after the first', () => {
    const text = fleetText(REGION_US, THREE_TIERS, MODEL_TINY, POLICY, POLICY.replace('name: default', 'name: second'));
    expect(problemsOf(text)).toEqual([
      { document: 7, kind: 'RoutingPolicy', name: 'second', field: '', line: lineOf(text, 'apiVersion: switchyard.dev/v1alpha1', 6), message: 'only one RoutingPolicy may be defined' },
    ]);
  });

  it.each([
    ['an empty file', ''],
    ['a file of empty documents', '---\n# nothing here\n---\n'],
    ['a file without a Region', fleetText(TIER_SMALL)],
  ])('refuses %s: a fleet needs at least one region', (_what, text) => {
    expect(problemsOf(text)).toEqual([{ document: 0, field: '', message: 'the fleet defines no Region; at least one is required' }]);
  });
});
