// A small federation of real simulator processes-in-a-server (one startSim per endpoint) and
// the fleet file that routes to them, shared by the workerd and end-to-end tests.
import { refusedPort } from './ports.ts';
import { startSim, type SimOptions, type SimServer } from '../../infra/local/sim/server.ts';
import { TEST_AWS_CREDENTIALS } from '../../infra/local/sim/sagemaker/front.ts';
import type { SageMakerFaultPatch } from '../../infra/local/sim/sagemaker/faults.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import type { CompiledFleet } from '../../src/fleet/compiled.ts';
import { parseFleet } from '../../src/fleet/load.ts';

export const REGION_SECRETS = {
  'us-east': { env: 'UPSTREAM_KEY_US_EAST', value: 'test-upstream-us-east' },
  'eu-west': { env: 'UPSTREAM_KEY_EU_WEST', value: 'test-upstream-eu-west' },
  apac: { env: 'UPSTREAM_KEY_APAC', value: 'test-upstream-apac' },
} as const;
type RegionId = keyof typeof REGION_SECRETS;

/** The AWS keys SageMaker endpoints are signed with: the simulators' test key pair. */
export const SAGEMAKER_SECRETS = {
  accessKeyId: { env: 'SAGEMAKER_ACCESS_KEY_ID', value: TEST_AWS_CREDENTIALS.accessKeyId },
  secretAccessKey: { env: 'SAGEMAKER_SECRET_ACCESS_KEY', value: TEST_AWS_CREDENTIALS.secretAccessKey },
} as const;
const AWS_REGION: Record<RegionId, string> = { 'us-east': 'us-east-1', 'eu-west': 'eu-west-1', apac: 'ap-southeast-1' };

/** Each endpoint of the test fleet: which model, where, and how its simulator misbehaves. */
const ENDPOINTS = {
  'us-east-8b': { region: 'us-east', model: 'llama-3.1-8b' },
  'eu-west-8b': { region: 'eu-west', model: 'llama-3.1-8b' },
  'apac-8b': { region: 'apac', model: 'llama-3.1-8b' },
  'us-east-hf': { region: 'us-east', model: 'qwen-hf', pathStyle: 'openai' },
  // Endpoint failures (a model not ready, a broken ingress), not failures a request caused: they fail over.
  'us-east-failing': { region: 'us-east', model: 'failover-model', faults: { errorRate: 1, errorStatus: 503 } },
  'eu-west-failover': { region: 'eu-west', model: 'failover-model' },
  'us-east-broken': { region: 'us-east', model: 'broken-model', faults: { errorRate: 1, errorStatus: 502, errorShape: 'vllm-legacy' } },
  'us-east-slow': { region: 'us-east', model: 'slow-model', faults: { hang: true } },
  'us-east-cut': { region: 'us-east', model: 'cut-model', faults: { cutAfterChunks: 2 } },
  // Mid-stream failover: us-east cuts every stream after 6 chunks; eu-west continues it.
  'us-east-continue': { region: 'us-east', model: 'continue-model', faults: { cutAfterChunks: 6 } },
  'eu-west-continue': { region: 'eu-west', model: 'continue-model' },
  'us-east-busy': { region: 'us-east', model: 'busy-model', faults: { errorRate: 1, errorStatus: 429, errorShape: 'kserve' } },
  'us-east-residency': { region: 'us-east', model: 'residency-model' },
  'us-east-full': { region: 'us-east', model: 'spill-model', faults: { errorRate: 1, errorStatus: 429 } },
  'eu-west-spill': { region: 'eu-west', model: 'spill-model' },
  'us-east-probe': { region: 'us-east', model: 'probe-model' },
  'eu-west-probe': { region: 'eu-west', model: 'probe-model' },
  'eu-west-sm-throttle': { region: 'eu-west', model: 'sm-throttle' },
  // Sent only by test/workers/metrics.test.ts: the metrics labelled with this model and these
  // simulators' token counters are that file's alone, whatever else shares the run's Redis.
  'us-east-metrics': { region: 'us-east', model: 'metrics-model' },
  'eu-west-metrics': { region: 'eu-west', model: 'metrics-model' },
  // Models that are not for chat: an embedding model in two regions, a reranker, a Whisper.
  'us-east-embed': { region: 'us-east', model: 'bge-small-en', task: 'embed' },
  'eu-west-embed': { region: 'eu-west', model: 'bge-small-en', task: 'embed' },
  'us-east-rerank': { region: 'us-east', model: 'bge-reranker-base', task: 'score' },
  'us-east-whisper': { region: 'us-east', model: 'whisper-large-v3', task: 'transcription' },
} as const satisfies Record<string, { region: RegionId; model: string; pathStyle?: SimOptions['pathStyle']; faults?: SimOptions['faults']; task?: SimOptions['task'] }>;
export type EndpointName = keyof typeof ENDPOINTS;

/**
 * SageMaker endpoints: each a simulator with the SageMaker runtime API in front (SigV4 with
 * the test key pair, LMI output styles), named `endpointName` = the map key.
 */
const SAGEMAKER_ENDPOINTS = {
  'sm-chat': { region: 'us-east', model: 'sm-chat', outputStyle: 'openai-sse' },
  'sm-lines': { region: 'us-east', model: 'sm-lines', outputStyle: 'json-lines', inferenceComponent: 'sm-lines-ic', targetVariant: 'variant-a' },
  'sm-faulty': { region: 'us-east', model: 'sm-faulty', outputStyle: 'openai-sse' },
  'sm-throttled': { region: 'us-east', model: 'sm-throttle', outputStyle: 'openai-sse', faults: { errorType: 'ThrottlingException' } },
} as const satisfies Record<
  string,
  { region: RegionId; model: string; outputStyle: 'openai-sse' | 'json-lines'; inferenceComponent?: string; targetVariant?: string; faults?: SageMakerFaultPatch }
>;
export type SageMakerEndpointName = keyof typeof SAGEMAKER_ENDPOINTS;

/** Endpoints that are named in the fleet but have nothing listening (a region that is down). */
const DEAD = [
  { region: 'eu-west', model: 'residency-model' },
  { region: 'us-east', model: 'broken-model' },
] as const;

export interface TestFederation {
  fleet: CompiledFleet;
  yaml: string;
  sims: Record<EndpointName | SageMakerEndpointName, SimServer>;
  /** Env entries holding each region's upstream key. */
  secrets: Record<string, string>;
  close(): Promise<void>;
}

export async function startTestFederation(timeouts = { connectMs: 500, firstByteMs: 1500, totalMs: 10_000, streamIdleMs: 2000 }): Promise<TestFederation> {
  const entries = Object.entries(ENDPOINTS) as [EndpointName, (typeof ENDPOINTS)[EndpointName]][];
  const sims = Object.fromEntries(
    await Promise.all(
      entries.map(async ([name, e]) => {
        const sim = await startSim({
          models: [e.model],
          profile: 'fast',
          apiKey: REGION_SECRETS[e.region].value,
          pathStyle: 'pathStyle' in e ? e.pathStyle : 'v1',
          ...('faults' in e ? { faults: e.faults } : {}),
          ...('task' in e ? { task: e.task } : {}),
        });
        return [name, sim] as const;
      }),
    ),
  ) as Record<EndpointName, SimServer>;
  const smEntries = Object.entries(SAGEMAKER_ENDPOINTS) as [SageMakerEndpointName, (typeof SAGEMAKER_ENDPOINTS)[SageMakerEndpointName]][];
  const smSims = Object.fromEntries(
    await Promise.all(
      smEntries.map(async ([name, e]) => {
        const sim = await startSim({
          models: [e.model],
          profile: 'fast',
          apiKey: REGION_SECRETS[e.region].value,
          pathStyle: 'v1',
          sagemaker: { region: AWS_REGION[e.region], endpoints: [name], ...('faults' in e ? { faults: e.faults } : {}) },
        });
        return [name, sim] as const;
      }),
    ),
  ) as Record<SageMakerEndpointName, SimServer>;

  const endpointLines = async (region: RegionId) => {
    const lines: string[] = [];
    for (const [name, e] of entries) {
      if (e.region !== region) continue;
      const style = 'pathStyle' in e && e.pathStyle === 'openai' ? 'openai-v1' : 'v1';
      lines.push(`    - { model: ${e.model}, url: "${sims[name].url}", pathStyle: ${style}, name: ${name} }`);
    }
    for (const d of DEAD) if (d.region === region) lines.push(`    - { model: ${d.model}, url: "http://127.0.0.1:${await refusedPort()}", name: dead }`);
    for (const [name, e] of smEntries) {
      if (e.region !== region) continue;
      const extra = `${'inferenceComponent' in e ? `, inferenceComponent: ${e.inferenceComponent}` : ''}${'targetVariant' in e ? `, targetVariant: ${e.targetVariant}` : ''}`;
      lines.push(
        `    - { model: ${e.model}, backend: sagemaker, endpointName: ${name}, awsRegion: ${AWS_REGION[region]}, outputStyle: ${e.outputStyle}${extra}, ` +
          `endpointUrl: "${smSims[name].url}", credentials: { accessKeyIdSecret: ${SAGEMAKER_SECRETS.accessKeyId.env}, secretAccessKeySecret: ${SAGEMAKER_SECRETS.secretAccessKey.env} }, name: ${name} }`,
      );
    }
    return lines.join('\n');
  };
  const region = async (id: RegionId, lat: number, lon: number, continent: string, residency: string, price: number) => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: ${id} }
spec:
  location: { latitude: ${lat}, longitude: ${lon}, continent: ${continent} }
  residency: ${residency}
  pricing: { inputPerMillionTokensUsd: ${price}, outputPerMillionTokensUsd: ${price * 3} }
  credentials: { secretName: ${REGION_SECRETS[id].env} }
  endpoints:
${await endpointLines(id)}`;

  // Generation models join a tier; the others (embeddings, rerank, transcription) are reached by id only.
  const untiered = new Set<string>(Object.values(ENDPOINTS).flatMap((e) => ('task' in e ? [e.model] : [])));
  const modelRegions = new Map<string, Set<string>>();
  for (const e of [...Object.values(ENDPOINTS), ...DEAD, ...Object.values(SAGEMAKER_ENDPOINTS)]) {
    const set = modelRegions.get(e.model) ?? new Set<string>();
    set.add(e.region);
    modelRegions.set(e.model, set);
  }
  const models = [...modelRegions].map(
    ([model, regions]) => `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: ${model.replace(/\./g, '-')}
  labels: { ${untiered.has(model) ? '' : `switchyard.dev/tier: ${model === 'llama-3.1-8b' ? 'small' : 'large'}`} }
  annotations: { switchyard.dev/model: ${model}, switchyard.dev/regions: "${[...regions].join(',')}" }
spec:
  predictor:
    model:
      modelFormat: { name: ${model === 'qwen-hf' ? 'huggingface' : 'vLLM'} }`,
  );

  const yaml = [
    await region('us-east', 38.9, -77.4, 'NA', 'us', 0.05),
    await region('eu-west', 53.3, -6.3, 'EU', 'eu', 0.06),
    await region('apac', 1.35, 103.8, 'AS', 'apac', 0.07),
    `apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: small }
spec: { rank: 1, defaultModel: llama-3.1-8b }`,
    `apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: medium }
spec: { rank: 2 }`,
    `apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: large }
spec: { rank: 3 }`,
    `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: { name: test }
spec:
  weights: { geo: 2 }
  timeouts: { connectMs: ${timeouts.connectMs}, firstByteMs: ${timeouts.firstByteMs}, totalMs: ${timeouts.totalMs}, streamIdleMs: ${timeouts.streamIdleMs} }
  limits: { maxBodyBytes: 65536 }
  midStreamFailover: { enabled: true }`,
    ...models,
  ].join('\n---\n');

  const fleet = compileFleet(parseFleet(yaml, 'test-federation.yaml'));
  const secrets = Object.fromEntries([...Object.values(REGION_SECRETS), ...Object.values(SAGEMAKER_SECRETS)].map((s) => [s.env, s.value]));
  return {
    fleet,
    yaml,
    sims: { ...sims, ...smSims },
    secrets,
    close: async () => {
      await Promise.all([...Object.values(sims), ...Object.values(smSims)].map((s) => s.close()));
    },
  };
}
