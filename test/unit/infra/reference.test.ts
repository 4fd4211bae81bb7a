// The reference document's own YAML examples, read from the document itself and pasted as they
// are into a fleet with a Region, Tiers and a RoutingPolicy: accepted, and every field each
// example sets takes effect in the rendered manifests, which validate against the real CRDs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dig } from '../../../infra/k8s/loose.ts';
import type { Manifest } from '../../../infra/k8s/render/manifest.ts';
import { renderFleet } from '../../../infra/k8s/render/render-fleet.ts';
import { fleetModels } from '../../../infra/k8s/fleet-model.ts';
import { writeRegion } from '../../../infra/k8s/render/write-manifests.ts';
import { validateFiles } from '../../../infra/k8s/validate/validate-manifests.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { referenceFleetText, referenceYamlExamples } from '../../support/reference-doc.ts';
import { realCrds } from './crds.ts';

const text = referenceFleetText();
const fleet = parseFleet(text, 'reference.fleet.yaml');
const renders = renderFleet(fleet);
const us = renders.find((r) => r.region === 'us-east');
if (!us) throw new Error('no us-east render');
const manifest = (kind: string, name: string): Manifest => {
  const m = us.files.flatMap((f) => f.manifests).find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind}/${name}`);
  return m;
};
const predictor = (name: string) => dig(manifest('InferenceService', name), 'spec', 'predictor') as Record<string, unknown>;
const container = (name: string) => dig(predictor(name), 'model') as Record<string, unknown>;
const notes = renders.flatMap((r) => r.warnings).join('\n');
const GiB = 2 ** 30;
// The CachePolicy example (l2-cpu 500Gi lfu, l3-ssd 5Ti) applies to every model: it is the fleet's only one.
const OFFLOAD = {
  kv_connector: 'OffloadingConnector',
  kv_role: 'kv_both',
  kv_connector_extra_config: { spec_name: 'TieringOffloadingSpec', cpu_bytes_to_use: 500 * GiB, eviction_policy: 'arc', secondary_tiers: [{ type: 'fs', root_dir: '/mnt/kv-cache-0' }] },
};

describe("the reference document's YAML examples", () => {
  it('are the six the document shows, in its order', () => {
    expect(referenceYamlExamples().map((y) => /kind: (\w+)\nmetadata:\n  name: ([\w-]+)/.exec(y)?.slice(1).join('/'))).toEqual([
      'InferenceService/single-instance-llm',
      'InferenceService/replicated-llm',
      'InferenceService/autoscaling-llm',
      'LLMDeployment/disaggregated-llm',
      'InferenceService/tensor-parallel-llm',
      'CachePolicy/multi-tier-cache',
    ]);
  });

  it('are accepted by `switchyard fleet check` as written, with a note for each field rendered differently', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-reference-'));
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, text);
    const out = execFileSync('node_modules/.bin/node', ['cli/main.ts', 'fleet', 'check', '--fleet', file], { encoding: 'utf8' });
    for (const model of ['single-instance-llm', 'replicated-llm [small, edge]', 'autoscaling-llm [medium, regional]', 'tensor-parallel-llm [large, central]', 'disaggregated-llm']) {
      expect(out).toContain(model);
    }
    for (const field of ['tiers[0] (l1-gpu).ttl 1h', 'tiers[1] (l2-cpu).ttl 6h', 'tiers[2] (l3-ssd).ttl 24h', 'tiers[1] (l2-cpu).eviction lfu', 'tiers[2] (l3-ssd).eviction fifo', 'prefixSharing.minLength 10', 'tiers[0] (l1-gpu).size 40Gi']) {
      expect(out).toContain(field);
    }
    expect(compileFleet(fleet).models).toHaveLength(5);
  });

  it('render to manifests that validate against the real CRDs', () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-reference-'));
    for (const r of renders) writeRegion(out, r);
    const findings = validateFiles([out], realCrds());
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(us.files.map((f) => f.file)).toEqual([
      'namespace.yaml',
      'inferenceservice-single-instance-llm.yaml',
      'servingruntime-kserve-vllmserver.yaml',
      'inferenceservice-replicated-llm.yaml',
      'inferenceservice-autoscaling-llm.yaml',
      'inferenceservice-tensor-parallel-llm.yaml',
      'llminferenceservice-disaggregated-llm.yaml',
      'persistentvolumeclaim-disaggregated-llm-kv-cache.yaml',
    ]);
  });

  it('label each with the pattern it is: 1, 2, 3, 5 (in an auto-scaling pool) and 4 (tensor-parallel prefill, fixed pools)', () => {
    expect(fleetModels(fleet).map((m) => [m.id, m.configured.pattern, ...m.configured.combinedWith])).toEqual([
      ['single-instance-llm', 1],
      ['replicated-llm', 2],
      ['autoscaling-llm', 3],
      ['tensor-parallel-llm', 5, 3],
      ['disaggregated-llm', 4, 5, 2],
    ]);
  });
});

describe('patterns 1-3: replica bounds, scaling, GPU and memory from predictor.resources', () => {
  it.each([
    ['single-instance-llm', 1, 1, '30Gi', '530Gi'],
    ['replicated-llm', 3, 3, '40Gi', '540Gi'],
    ['autoscaling-llm', 2, 20, '50Gi', '550Gi'],
  ])('%s: %i..%i replicas, 1 GPU on the container, %s of memory (+ the 500Gi RAM tier = %s)', (name, min, max, _written, memory) => {
    expect(predictor(name)).toMatchObject({ minReplicas: min, maxReplicas: max });
    expect(predictor(name)['resources']).toBeUndefined(); // moved: pod-level resources cannot hold GPUs
    expect(container(name)['resources']).toMatchObject({
      requests: { 'nvidia.com/gpu': '1', memory, 'ephemeral-storage': '5120Gi' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    expect(container(name)).toMatchObject({ modelFormat: { name: 'vllm' }, runtime: 'kserve-vllmserver' });
  });

  it('keeps scaleTarget, scaleMetric and containerConcurrency of the auto-scaling pool', () => {
    expect(predictor('autoscaling-llm')).toMatchObject({ scaleTarget: 60, scaleMetric: 'concurrency', containerConcurrency: 10 });
  });

  it("lets the kserve-vllmserver runtime serve the document's lower-case `vllm` format (KServe matches names exactly)", () => {
    const formats = dig(manifest('ServingRuntime', 'kserve-vllmserver'), 'spec', 'supportedModelFormats') as { name: string }[];
    expect(formats.map((f) => f.name)).toEqual(expect.arrayContaining(['vLLM', 'vllm']));
  });
});

describe('pattern 5: tensor parallel from the env the document uses', () => {
  it('turns TENSOR_PARALLEL_SIZE / PIPELINE_PARALLEL_SIZE into vLLM flags on 4 GPUs per replica', () => {
    const m = container('tensor-parallel-llm');
    expect(m['args']).toEqual(expect.arrayContaining(['--tensor-parallel-size=4', '--pipeline-parallel-size=1']));
    expect(m['env']).toEqual(expect.arrayContaining([{ name: 'TENSOR_PARALLEL_SIZE', value: '4' }, { name: 'PIPELINE_PARALLEL_SIZE', value: '1' }]));
    expect(m['resources']).toMatchObject({ requests: { 'nvidia.com/gpu': '4', memory: '820Gi' }, limits: { 'nvidia.com/gpu': '4' } });
    expect(predictor('tensor-parallel-llm')).toMatchObject({ minReplicas: 1, maxReplicas: 5 });
    expect(predictor('tensor-parallel-llm')['workerSpec']).toBeUndefined(); // 4 GPUs fit one 8-GPU node
  });
});

describe('pattern 4: the LLMDeployment serving block, as llm-d on KServe', () => {
  const llm = () => manifest('LLMInferenceService', 'disaggregated-llm');
  const env = (pool: 'prefill' | 'decode') => dig(llm(), 'spec', ...(pool === 'prefill' ? ['prefill'] : []), 'template', 'containers', '0', 'env') as { name: string; value?: string }[];
  const extraArgs = (pool: 'prefill' | 'decode') => env(pool).find((e) => e.name === 'VLLM_ADDITIONAL_ARGS')?.value ?? '';

  it('renders a prefill pool of 2 × 2 GPUs and a decode pool of 5 × 1 GPU, with their memory', () => {
    expect(dig(llm(), 'spec')).toMatchObject({ model: { uri: 'hf://meta-llama/Llama-2-30b-hf', name: 'disaggregated-llm' }, replicas: 5, prefill: { replicas: 2, parallelism: { tensor: 2 } } });
    expect(dig(llm(), 'spec', 'parallelism')).toBeUndefined(); // one GPU per decode pod
    expect(dig(llm(), 'spec', 'prefill', 'template', 'containers', '0', 'resources')).toEqual({
      requests: { 'nvidia.com/gpu': '2', memory: '580Gi' }, // 80Gi + the 500Gi RAM tier
      limits: { 'nvidia.com/gpu': '2' },
    });
    expect(dig(llm(), 'spec', 'template', 'containers', '0', 'resources')).toEqual({
      requests: { 'nvidia.com/gpu': '1', memory: '540Gi' },
      limits: { 'nvidia.com/gpu': '1' },
    });
  });

  it('maps batchSize to vLLM --max-num-seqs per pool', () => {
    expect(extraArgs('prefill')).toContain('--max-num-seqs=32');
    expect(extraArgs('decode')).toContain('--max-num-seqs=8');
  });

  it('moves KV from prefill to decode over NIXL as llm-d does, beside the offloading tiers', () => {
    const config = (pool: 'prefill' | 'decode') => JSON.parse(/--kv-transfer-config '([^']+)'/.exec(extraArgs(pool))?.[1] ?? 'null') as { kv_connector_extra_config: { connectors: unknown[] } };
    expect(config('prefill')).toEqual({
      kv_connector: 'MultiConnector',
      kv_role: 'kv_both',
      kv_connector_extra_config: { connectors: [{ kv_connector: 'NixlConnector', kv_role: 'kv_producer' }, { ...OFFLOAD, kv_connector_extra_config: { ...OFFLOAD.kv_connector_extra_config, secondary_tiers: [{ type: 'fs', root_dir: '/mnt/kv-cache-0' }, { type: 'fs', root_dir: '/mnt/kv-cache-1' }] } }] },
    });
    expect(config('decode').kv_connector_extra_config.connectors[0]).toEqual({ kv_connector: 'NixlConnector', kv_role: 'kv_consumer' });
    for (const pool of ['prefill', 'decode'] as const) {
      expect(env(pool)).toContainEqual({ name: 'VLLM_NIXL_SIDE_CHANNEL_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    }
    const epp = dig(llm(), 'spec', 'router', 'scheduler', 'config', 'inline');
    expect((dig(epp, 'schedulingProfiles') as { name: string }[]).map((p) => p.name)).toEqual(['prefill', 'decode']);
  });

  it('renders the distributed cache as one 500Gi ReadWriteMany volume every pod shares, after the CachePolicy tiers', () => {
    const offloading = {
      cpu: '500Gi',
      evictionPolicy: 'arc',
      secondary: [{ fileSystem: { emptyDir: { size: '5120Gi' } } }, { fileSystem: { pvc: { ref: { name: 'disaggregated-llm-kv-cache' } } } }],
    };
    expect(dig(llm(), 'spec', 'kvCacheOffloading')).toEqual(offloading);
    expect(dig(llm(), 'spec', 'prefill', 'kvCacheOffloading')).toEqual(offloading);
    expect(manifest('PersistentVolumeClaim', 'disaggregated-llm-kv-cache')['spec']).toEqual({ accessModes: ['ReadWriteMany'], resources: { requests: { storage: '500Gi' } } });
  });
});

describe('pattern 8: every CachePolicy tier field', () => {
  it('renders the gpu tier as the KV cache size per GPU and prefix caching on', () => {
    expect(container('replicated-llm')['args']).toEqual(expect.arrayContaining(['--enable-prefix-caching', `--kv-cache-memory-bytes=${40 * GiB}`]));
  });

  it('renders the memory and disk tiers as tiered offloading, the disk on a volume of its size', () => {
    expect(container('replicated-llm')['args']).toContain(`--kv-transfer-config=${JSON.stringify(OFFLOAD)}`);
    expect(predictor('replicated-llm')['volumes']).toEqual([{ name: 'kv-cache-secondary-0', emptyDir: { sizeLimit: '5120Gi' } }]);
    expect(container('replicated-llm')['volumeMounts']).toEqual([{ name: 'kv-cache-secondary-0', mountPath: '/mnt/kv-cache-0' }]);
  });

  it('says per field what vLLM has no equivalent for', () => {
    expect(notes).toMatch(/tiers\[0\] \(l1-gpu\)\.ttl 1h: no vLLM equivalent/);
    expect(notes).toMatch(/tiers\[1\] \(l2-cpu\)\.eviction lfu: rendered as arc/);
    expect(notes).toMatch(/tiers\[2\] \(l3-ssd\)\.eviction fifo: vLLM's tiering evicts every tier with the memory tier's policy \(arc\)/);
  });
});

describe('bad input in the same examples', () => {
  const withExample = (find: string, replace: string) => [...referenceYamlExamples()].map((y) => y.replace(find, replace));

  it('refuses GPUs written twice with different counts, naming the field', () => {
    const examples = withExample('      runtime: kserve-vllmserver\n      storageUri: s3://models/llama-2-7b', '      runtime: kserve-vllmserver\n      storageUri: s3://models/llama-2-7b\n      resources: { requests: { nvidia.com/gpu: "2" } }');
    expect(() => parseFleet([referenceFleetText().split('---\n')[0], ...examples].join('---\n'), 'bad.yaml')).toThrow(/predictor\.resources\.requests\.nvidia\.com\/gpu.*nvidia\.com\/gpu is 1 here but 2 in predictor\.model\.resources\.requests/s);
  });

  it('refuses a disaggregated deployment without a prefill pool', () => {
    const examples = withExample('    prefill:\n      replicas: 2\n      batchSize: 32\n      resources:\n        gpu: 2\n        memory: 80Gi\n', '');
    expect(() => parseFleet([referenceFleetText().split('---\n')[0], ...examples].join('---\n'), 'bad.yaml')).toThrow(/disaggregated serving needs a prefill pool/);
  });
});
