import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dig } from '../../../infra/k8s/loose.ts';
import type { Manifest, RegionRender } from '../../../infra/k8s/render/manifest.ts';
import { renderFleet, renderRegion } from '../../../infra/k8s/render/render-fleet.ts';
import { DEFAULT_RENDER_OPTIONS } from '../../../infra/k8s/render/render-options.ts';
import { writeRegion } from '../../../infra/k8s/render/write-manifests.ts';
import { checkObject, validateFiles, validateText, type Finding } from '../../../infra/k8s/validate/validate-manifests.ts';
import { realCrds } from './crds.ts';
import { FLEET_FILE, fleetOf, loadFleet, SHAPES_FLEET_FILE, REGION } from './fixtures.ts';

const fleet = loadFleet(FLEET_FILE);
const renders = renderFleet(fleet);
const regionRender = (rs: RegionRender[], id: string): RegionRender => {
  const r = rs.find((x) => x.region === id);
  if (!r) throw new Error(`no render for ${id}`);
  return r;
};
const manifest = (r: RegionRender, kind: string, name: string): Manifest => {
  const m = r.files.flatMap((f) => f.manifests).find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind}/${name} in ${r.region}`);
  return m;
};
const errorsOf = (findings: Finding[]) => findings.filter((f) => f.severity === 'error');

describe('infra render of infra/fleet.yaml', () => {
  it('renders, per region, its namespace, one resource per model served there, and the vLLM runtime where needed', () => {
    expect(renders.map((r) => [r.region, r.kubeContext, r.files.map((f) => f.file)])).toEqual([
      [
        'us-east',
        'gke_switchyard_us-east4_inference',
        ['namespace.yaml', 'inferenceservice-llama-3-1-8b.yaml', 'inferenceservice-qwen2-5-32b.yaml', 'servingruntime-kserve-vllmserver.yaml', 'llminferenceservice-llama-3-1-70b.yaml'],
      ],
      ['eu-west', 'gke_switchyard_europe-west1_inference', ['namespace.yaml', 'inferenceservice-llama-3-1-8b.yaml', 'inferenceservice-qwen2-5-32b.yaml', 'servingruntime-kserve-vllmserver.yaml']],
      ['apac', 'gke_switchyard_asia-southeast1_inference', ['namespace.yaml', 'inferenceservice-llama-3-1-8b.yaml']],
    ]);
    for (const r of renders) expect(manifest(r, 'Namespace', 'llm').metadata.labels).toMatchObject({ 'switchyard.dev/region': r.region });
  });

  it('keeps the auto-scaling pool as written: replica bounds, scaleTarget, scaleMetric, containerConcurrency, autoscaler class, GPU and memory', () => {
    const isvc = manifest(regionRender(renders, 'us-east'), 'InferenceService', 'llama-3-1-8b');
    expect(isvc.apiVersion).toBe('serving.kserve.io/v1beta1');
    expect(isvc.metadata.annotations?.['serving.kserve.io/autoscalerClass']).toBe('hpa');
    expect(dig(isvc, 'spec', 'predictor')).toMatchObject({ minReplicas: 2, maxReplicas: 8, scaleTarget: 10, scaleMetric: 'concurrency', containerConcurrency: 16 });
    expect(dig(isvc, 'spec', 'predictor', 'model', 'modelFormat')).toEqual({ name: 'huggingface' });
    expect(dig(isvc, 'spec', 'predictor', 'model', 'resources')).toMatchObject({
      requests: { 'nvidia.com/gpu': '1', memory: '96Gi', 'ephemeral-storage': '512Gi' }, // 32Gi + the CachePolicy's 64Gi RAM tier; its disk tier
      limits: { 'nvidia.com/gpu': '1', memory: '112Gi' },
    });
  });

  it('serves the id the edge routes by, with the flag each runtime reads', () => {
    const us = regionRender(renders, 'us-east');
    expect(dig(manifest(us, 'InferenceService', 'llama-3-1-8b'), 'spec', 'predictor', 'model', 'args')).toContain('--model_name=llama-3.1-8b');
    const qwen = manifest(us, 'InferenceService', 'qwen2-5-32b');
    expect(dig(qwen, 'spec', 'predictor', 'model', 'args')).toEqual(expect.arrayContaining(['--served-model-name=qwen2.5-32b', '--tensor-parallel-size=2']));
    expect(dig(qwen, 'spec', 'predictor', 'model', 'runtime')).toBe('kserve-vllmserver');
    expect(dig(qwen, 'spec', 'predictor', 'model', 'resources', 'limits', 'nvidia.com/gpu')).toBe('2');
    expect(dig(manifest(us, 'ServingRuntime', 'kserve-vllmserver'), 'spec', 'containers', '0', 'args')).toEqual(['--model=/mnt/models', '--port=8080']);
  });

  it("reads each region's upstream key from that region's Secret, and never renders a secret value", () => {
    for (const [region, secret] of [['us-east', 'upstream-key-us-east'], ['apac', 'upstream-key-apac']] as const) {
      const env = dig(manifest(regionRender(renders, region), 'InferenceService', 'llama-3-1-8b'), 'spec', 'predictor', 'model', 'env');
      expect(env).toEqual([{ name: 'VLLM_API_KEY', valueFrom: { secretKeyRef: { name: secret, key: 'api-key' } } }]);
    }
    const all = renders.flatMap((r) => r.files.flatMap((f) => f.manifests));
    expect(all.filter((m) => m.kind === 'Secret')).toEqual([]);
    expect(regionRender(renders, 'us-east').steps[0]).toContain('create secret generic upstream-key-us-east --from-literal=api-key="$UPSTREAM_KEY_US_EAST"');
  });

  it('renders the LLMDeployment as an LLMInferenceService with prefill and decode pools, scheduler, InferencePool and route', () => {
    const llm = manifest(regionRender(renders, 'us-east'), 'LLMInferenceService', 'llama-3-1-70b');
    expect(llm.apiVersion).toBe('serving.kserve.io/v1alpha2');
    expect(dig(llm, 'spec', 'model')).toEqual({ uri: 'hf://meta-llama/Llama-3.1-70B-Instruct', name: 'llama-3.1-70b' });
    expect(dig(llm, 'spec')).toMatchObject({ replicas: 4, parallelism: { tensor: 4 }, prefill: { replicas: 2, parallelism: { tensor: 4 } } });
    expect(dig(llm, 'spec', 'prefill', 'template', 'containers', '0', 'resources', 'limits', 'nvidia.com/gpu')).toBe(4);
    expect(dig(llm, 'spec', 'router', 'scheduler', 'pool', 'spec')).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'llama-3-1-70b', 'app.kubernetes.io/part-of': 'llminferenceservice', 'kserve.io/component': 'workload' } },
      targetPorts: [{ number: 8000 }],
      endpointPickerRef: { name: 'llama-3-1-70b-epp-service', port: { number: 9002 }, failureMode: 'FailOpen' },
    });
    const epp = dig(llm, 'spec', 'router', 'scheduler', 'config', 'inline');
    expect(dig(epp, 'schedulingProfiles')).toHaveLength(2); // prefill and decode
    expect(JSON.stringify(epp)).toContain('"pluginRef":"prefix-cache-scorer","weight":3');
    expect(dig(llm, 'spec', 'router', 'route', 'http', 'spec', 'hostnames')).toEqual(['llama-3-1-70b.llm.us-east.inference.switchyard.example']);
    expect(dig(llm, 'spec', 'router', 'route', 'http', 'spec', 'rules', '0', 'backendRefs', '0')).toMatchObject({ kind: 'InferencePool', name: 'llama-3-1-70b-inference-pool' });
  });

  it("renders the CachePolicy's backend tiers per replica: GPU KV size, prefix caching, RAM and disk offloading", () => {
    const us = regionRender(renders, 'us-east');
    const isvc = manifest(us, 'InferenceService', 'llama-3-1-8b');
    const offload = {
      kv_connector: 'OffloadingConnector',
      kv_role: 'kv_both',
      kv_connector_extra_config: { spec_name: 'TieringOffloadingSpec', cpu_bytes_to_use: 64 * 2 ** 30, eviction_policy: 'lru', secondary_tiers: [{ type: 'fs', root_dir: '/mnt/kv-cache-0' }] },
    };
    expect(dig(isvc, 'spec', 'predictor', 'model', 'args')).toEqual(
      expect.arrayContaining(['--enable-prefix-caching', `--kv-cache-memory-bytes=${40 * 2 ** 30}`, `--kv-transfer-config=${JSON.stringify(offload)}`]),
    );
    expect(dig(isvc, 'spec', 'predictor', 'volumes')).toEqual([{ name: 'kv-cache-secondary-0', emptyDir: { sizeLimit: '512Gi' } }]);
    expect(dig(isvc, 'spec', 'predictor', 'model', 'volumeMounts')).toEqual([{ name: 'kv-cache-secondary-0', mountPath: '/mnt/kv-cache-0' }]);
    expect(dig(manifest(us, 'LLMInferenceService', 'llama-3-1-70b'), 'spec', 'kvCacheOffloading')).toEqual({
      cpu: '64Gi',
      evictionPolicy: 'lru',
      secondary: [{ fileSystem: { emptyDir: { size: '512Gi' } } }],
    });
    expect(us.warnings.join('\n')).toContain('tiers[1] (memory).ttl 1h: no vLLM equivalent');
  });

  it("warns where the fleet contradicts itself: HPA cannot scale on concurrency", () => {
    expect(regionRender(renders, 'us-east').warnings.join('\n')).toMatch(/autoscalerClass=hpa scales on cpu or memory only; scaleMetric concurrency/);
  });

  it('every rendered manifest validates against the real CRDs, written to disk and read back', () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-render-'));
    for (const r of renders) writeRegion(out, r);
    const findings = validateFiles([out], realCrds());
    expect(errorsOf(findings)).toEqual([]);
    expect(findings.filter((f) => f.severity === 'warning')).toEqual([]);
    const kinds = new Set(renders.flatMap((r) => r.files.flatMap((f) => f.manifests.map((m) => m.kind))));
    expect([...kinds].sort()).toEqual(['InferenceService', 'LLMInferenceService', 'Namespace', 'ServingRuntime']);
    const usFiles = readdirSync(join(out, 'us-east')).sort();
    expect(usFiles).toEqual([...regionRender(renders, 'us-east').files.map((f) => f.file), 'NOTES.md', 'kustomization.yaml'].sort());
    expect(parse(readFileSync(join(out, 'us-east', 'kustomization.yaml'), 'utf8'))).toMatchObject({ kind: 'Kustomization', resources: expect.arrayContaining(['namespace.yaml']) });
  });

  it('the InferencePool inside the LLMInferenceService also matches the standalone InferencePool CRD', () => {
    const llm = manifest(regionRender(renders, 'us-east'), 'LLMInferenceService', 'llama-3-1-70b');
    const pool = {
      apiVersion: 'inference.networking.k8s.io/v1',
      kind: 'InferencePool',
      metadata: { name: 'llama-3-1-70b-inference-pool', namespace: 'llm' },
      spec: dig(llm, 'spec', 'router', 'scheduler', 'pool', 'spec'),
    };
    expect(checkObject(pool, realCrds())).toEqual([]);
  });

  it('re-rendering replaces its own files and refuses to overwrite anyone else’s', () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-render-'));
    const apac = regionRender(renders, 'apac');
    writeRegion(out, apac);
    expect(writeRegion(out, apac)).toHaveLength(apac.files.length + 2);
    const other = mkdtempSync(join(tmpdir(), 'switchyard-render-'));
    mkdirSync(join(other, 'apac'));
    writeFileSync(join(other, 'apac', 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: { name: mine }\n');
    expect(() => writeRegion(other, apac)).toThrow(/namespace.yaml exists and was not written by switchyard/);
  });

  it('gives a region without models its namespace, so the Secret can be created first', () => {
    const empty = fleetOf(REGION('lonely'));
    const [lonely] = empty.regions;
    if (!lonely) throw new Error('fixture: no region');
    const r = renderRegion(empty, lonely);
    expect(r.files.map((f) => f.manifests.map((m) => `${m.kind}/${m.metadata.name}`))).toEqual([['Namespace/llm']]);
    expect(r.warnings).toContain('region lonely serves no model: only its namespace would be created');
  });
});

describe('validation failures name file, line, field and reason', () => {
  const broken = `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama-3.1-8b
  namespace: llm
spec:
  predictor:
    minReplicas: "2"
    scaleMetric: tokens
    maxReplica: 8
    model:
      modelFormat: { name: huggingface }
      resources:
        limits: { nvidia.com/gpu: one }
      env:
        - name: VLLM_API_KEY
          valueFrom: { secretKeyRef: { name: upstream-key } }
---
apiVersion: serving.kserve.io/v1beta2
kind: InferenceService
metadata: { name: x }
spec: {}
---
apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceService
metadata: { name: y }
spec:
  router:
    scheduler:
      pool:
        spec: { targetPorts: [{ number: 8000 }] }
`;
  const findings = errorsOf(validateText(broken, 'broken.yaml', realCrds()));
  const at = (path: string) => findings.find((f) => f.path === path);

  it.each([
    ['metadata.name', 4, /DNS-1035/],
    ['spec.predictor.minReplicas', 8, /must be integer/],
    ['spec.predictor.scaleMetric', 9, /one of "cpu", "memory", "concurrency", "rps"/],
    ['spec.predictor.maxReplica', 10, /unknown field/],
    ['spec.predictor.model.resources.limits["nvidia.com/gpu"]', 14, /must match/],
    ['spec.predictor.model.env[0].valueFrom.secretKeyRef.key', 17, /required field is missing/],
  ])('%s (line %i)', (path, line, message) => {
    const f = at(path);
    expect(f, `no finding at ${path}: ${JSON.stringify(findings, null, 1)}`).toBeDefined();
    expect(f?.line).toBe(line);
    expect(f?.file).toBe('broken.yaml');
    expect(f?.message).toMatch(message);
  });

  it('refuses an apiVersion the CRD does not serve, and names the served ones', () => {
    expect(findings.find((f) => f.document === 2)?.message).toBe('InferenceService is not served at serving.kserve.io/v1beta2 (served: serving.kserve.io/v1beta1)');
  });

  it('checks fields deep inside the LLMInferenceService (its embedded InferencePool spec)', () => {
    const paths = findings.filter((f) => f.document === 3).map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['spec.router.scheduler.pool.spec.selector', 'spec.router.scheduler.pool.spec.endpointPickerRef']));
  });

  it('passes unknown groups with a warning, and checks built-in kinds for shape', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata: { name: d }
---
apiVersion: v1
kind: Secret
metadata: { name: s }
data: { key: "not base64!" }
`;
    const f = validateText(text, 'mixed.yaml', realCrds());
    expect(f.find((x) => x.kind === 'Deployment')?.severity).toBe('warning');
    expect(f.find((x) => x.kind === 'Secret' && x.severity === 'error')?.path).toBe('data.key');
  });
});

describe("KServe's other spellings of the patterns, fed through a fleet file", () => {
  const shapes = loadFleet(SHAPES_FLEET_FILE);
  const rendered = renderFleet(shapes, DEFAULT_RENDER_OPTIONS);

  it('render and validate against the real CRDs', () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-shapes-'));
    for (const r of rendered) writeRegion(out, r);
    const findings = validateFiles([out], realCrds());
    expect(errorsOf(findings)).toEqual([]);
    expect(rendered.flatMap((r) => r.files.flatMap((f) => f.manifests.map((m) => `${r.region}/${m.kind}/${m.metadata.name}`)))).toEqual([
      'us-east/Namespace/inference',
      'us-east/InferenceService/llama-3-2-3b',
      'us-east/InferenceService/mistral-7b',
      'us-east/ServingRuntime/kserve-vllmserver',
      'us-east/InferenceService/llama-3-1-8b',
      'us-east/InferenceService/llama-3-1-70b-tp',
      'us-east/InferenceService/llama-3-1-405b',
      'us-east/LLMInferenceService/qwen3-32b-pd',
      'eu-central/Namespace/llm',
      'eu-central/InferenceService/mistral-7b',
      'eu-central/ServingRuntime/kserve-vllmserver',
      'eu-central/InferenceService/llama-3-1-8b',
    ]);
  });

  it('gives the 405B a multi-node workerSpec: TP 8 × PP 2 on the multi-node runtime, one head, no autoscaling', () => {
    const isvc = manifest(regionRender(rendered, 'us-east'), 'InferenceService', 'llama-3-1-405b');
    expect(dig(isvc, 'spec', 'predictor', 'workerSpec')).toMatchObject({
      tensorParallelSize: 8,
      pipelineParallelSize: 2,
      containers: [{ name: 'worker-container', resources: { limits: { 'nvidia.com/gpu': '8' } } }],
    });
    expect(dig(isvc, 'spec', 'predictor')).toMatchObject({ minReplicas: 1, maxReplicas: 1, model: { runtime: 'kserve-huggingfaceserver-multinode' } });
    expect(isvc.metadata.annotations).toMatchObject({ 'serving.kserve.io/deploymentMode': 'Standard', 'serving.kserve.io/autoscalerClass': 'none' });
    expect(dig(isvc, 'spec', 'predictor', 'model', 'args')).not.toContain('--tensor-parallel-size=16');
  });

  it('corrects a served name that disagrees with the edge, and says so', () => {
    const isvc = manifest(regionRender(rendered, 'us-east'), 'InferenceService', 'llama-3-1-8b');
    const offload = { kv_connector: 'OffloadingConnector', kv_role: 'kv_both', kv_connector_extra_config: { spec_name: 'TieringOffloadingSpec', cpu_bytes_to_use: 32 * 2 ** 30, eviction_policy: 'lru', secondary_tiers: [{ type: 'fs', root_dir: '/mnt/kv-cache-0' }] } };
    expect(dig(isvc, 'spec', 'predictor', 'model', 'args')).toEqual([
      '--backend=vllm',
      '--model_name=llama-3.1-8b',
      '--enable-prefix-caching',
      '--block-size=16',
      `--kv-cache-memory-bytes=${60 * 2 ** 30}`,
      `--kv-transfer-config=${JSON.stringify(offload)}`,
    ]);
    expect(regionRender(rendered, 'us-east').warnings.join('\n')).toContain('args serve "llama3-8b" but the edge routes "llama-3.1-8b"');
  });

  it('reads the object-shaped model, top-level tensorParallelSize and scheduler object of the LLMDeployment', () => {
    const llm = manifest(regionRender(rendered, 'us-east'), 'LLMInferenceService', 'qwen3-32b-pd');
    expect(dig(llm, 'spec', 'model')).toEqual({ uri: 'hf://Qwen/Qwen3-32B', name: 'qwen3-32b' });
    expect(dig(llm, 'spec')).toMatchObject({ replicas: 3, parallelism: { tensor: 2 }, prefill: { replicas: 2, parallelism: { tensor: 2 } } });
    expect(dig(llm, 'spec', 'kvCacheOffloading')).toEqual({ cpu: '32Gi', evictionPolicy: 'lru', secondary: [{ fileSystem: { emptyDir: { size: '256Gi' } } }] });
  });

  it('warns where a region has no upstream credentials', () => {
    expect(regionRender(rendered, 'eu-central').warnings.join('\n')).toContain('no credentials.secretName');
  });
});
