import type { RegionDoc } from '../../../src/fleet/schema.ts';
import { GPU_RESOURCE, gpusIn, type FleetModel } from '../fleet-model.ts';
import { asNumber, asString, asStringArray, dig, isRecord, toJsonObject, type Json, type JsonObject } from '../loose.ts';
import { ceilGiB, gibQuantity, quantityBytes } from '../../../src/fleet/quantity.ts';
import { argValue, withArg, withoutArg } from '../vllm-args.ts';
import { KV_CACHE_VOLUME, kvCacheMount, offloadingConnector, STAGING_CPU_GIB, vllmCacheArgs, type CacheTiers } from './cache-tiers.ts';
import { regionLabels, type Manifest } from './manifest.ts';
import type { RenderOptions } from './render-options.ts';
import { apiKeyEnv, VLLM_API_KEY_ENV, type UpstreamSecret } from './upstream-secret.ts';

/**
 * Patterns 1, 2, 3 and 5: a KServe InferenceService (v1beta1) for vLLM, either on KServe's
 * Hugging Face runtime (modelFormat huggingface, vLLM backend, OpenAI routes under /openai/v1,
 * served name `--model_name`) or on the kserve-vllmserver runtime (modelFormat vLLM, plain vLLM,
 * /v1, served name `--served-model-name`). The fleet's predictor is kept as written (replica
 * bounds, scaleTarget, scaleMetric, containerConcurrency, resources, unknown fields); infra adds
 * what the edge relies on and what the fleet implies:
 * - the served model name the edge routes by (servedModelId), whatever the args said;
 * - the upstream key, read from a Secret into VLLM_API_KEY;
 * - GPUs and memory from predictor.resources (where the reference writes them) on the model
 *   container, the only place Kubernetes accepts GPUs;
 * - tensor / pipeline parallel size from the env the reference uses (TENSOR_PARALLEL_SIZE,
 *   PIPELINE_PARALLEL_SIZE) as vLLM's flags;
 * - the CachePolicy's backend tiers (GPU KV size, prefix caching, host-RAM and disk offloading,
 *   the RAM and volume they need);
 * - a multi-node workerSpec when tensor × pipeline parallelism exceeds one node.
 */
export const MULTINODE_RUNTIME = 'kserve-huggingfaceserver-multinode';
export const VLLM_RUNTIME = 'kserve-vllmserver';

export const AUTOSCALER_CLASS = 'serving.kserve.io/autoscalerClass';
export const DEPLOYMENT_MODE = 'serving.kserve.io/deploymentMode';

export type ModelFormat = 'huggingface' | 'vllm';

export interface InferenceServiceRender {
  manifest: Manifest;
  format: ModelFormat;
  /** The runtime KServe must find: rendered by infra (kserve-vllmserver) or shipped with KServe. */
  runtime?: string;
  warnings: string[];
}

const SERVED_NAME_FLAG: Record<ModelFormat, { flag: string; other: string }> = {
  huggingface: { flag: '--model_name', other: '--served-model-name' },
  vllm: { flag: '--served-model-name', other: '--model_name' },
};

const asObject = (value: unknown): JsonObject => (isRecord(value) ? (value as JsonObject) : {});
const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

function withEnv(env: unknown, entry: JsonObject): Json[] {
  const list = Array.isArray(env) ? (env as Json[]) : [];
  return [...list.filter((e) => !(isRecord(e) && e['name'] === entry['name'])), entry];
}

/** Adds `extraGiB` of memory to a resources block's requests and limits (pinned host RAM for KV offloading). */
function withExtraMemory(resources: JsonObject, extraGiB: number): JsonObject {
  const out: JsonObject = { ...resources };
  for (const side of ['requests', 'limits'] as const) {
    const block = asObject(out[side]);
    const current = quantityBytes(block['memory']);
    if (current === undefined && side === 'limits') continue;
    out[side] = { ...block, memory: gibQuantity(ceilGiB(current ?? 0) + extraGiB) };
  }
  return out;
}

function withGpus(resources: JsonObject, gpus: number): JsonObject {
  return {
    ...resources,
    requests: { ...asObject(resources['requests']), [GPU_RESOURCE]: String(gpus) },
    limits: { ...asObject(resources['limits']), [GPU_RESOURCE]: String(gpus) },
  };
}

export function renderInferenceService(
  model: FleetModel,
  region: RegionDoc,
  namespace: string,
  secret: UpstreamSecret | undefined,
  cache: CacheTiers | undefined,
  options: RenderOptions,
): InferenceServiceRender {
  const doc = model.resource;
  if (doc.kind !== 'InferenceService') throw new Error(`renderInferenceService: ${doc.kind} "${doc.metadata.name}" is not an InferenceService`);
  const where = `InferenceService "${doc.metadata.name}" in ${region.metadata.name}`;
  const warnings: string[] = [];
  const spec = toJsonObject(doc.spec);
  const predictor = asObject(spec['predictor']);
  const modelSpec = asObject(predictor['model']);
  const formatName = asString(dig(modelSpec, 'modelFormat', 'name'))?.toLowerCase();
  if (formatName !== 'huggingface' && formatName !== 'vllm') {
    throw new Error(`${where}: modelFormat must be huggingface (vLLM backend) or vLLM, got ${JSON.stringify(formatName)}`);
  }
  const format: ModelFormat = formatName;
  const annotations: Record<string, string> = { ...(doc.metadata.annotations ?? {}) };

  // The served name: the edge sends `model: <id>`; vLLM must answer to exactly that.
  let args = asStringArray(modelSpec['args']) ?? [];
  const names = SERVED_NAME_FLAG[format];
  const written = argValue(args, names.flag) ?? argValue(args, names.other);
  if (written !== undefined && written !== model.id) {
    warnings.push(`${where}: args serve "${written}" but the edge routes "${model.id}" (switchyard.dev/model): rendered ${names.flag}=${model.id}`);
  }
  args = withArg(withoutArg(args, names.other), names.flag, model.id);

  // Resources: the model container's, with the predictor-level ones the reference writes moved in.
  let resources = model.containerResources ?? asObject(modelSpec['resources']);
  if (predictor['resources'] !== undefined) {
    delete predictor['resources'];
    warnings.push(`${where}: predictor.resources moved onto the model container (Kubernetes' pod-level resources take cpu and memory only, GPUs must be container limits)`);
  }

  // Tensor / pipeline parallelism: one node, or KServe's multi-node workerSpec beyond it.
  const worker = isRecord(predictor['workerSpec']) ? asObject(predictor['workerSpec']) : undefined;
  const tp = model.tensorParallel ?? 1;
  const pp = model.pipelineParallel ?? 1;
  const totalGpus = tp * pp;
  const multiNode = worker !== undefined || pp > 1 || totalGpus > options.gpusPerNode;
  const gpusWritten = gpusIn(resources);

  if (multiNode) {
    if (format !== 'huggingface') {
      throw new Error(`${where}: ${totalGpus} GPUs (TP ${tp} × PP ${pp}) need more than one ${options.gpusPerNode}-GPU node; KServe's multi-node serving runs on the ${MULTINODE_RUNTIME} runtime: use modelFormat huggingface`);
    }
    // KServe splits TP beyond a node into pipeline stages itself (TP 16 on 8-GPU nodes = TP 8 × PP 2); say it explicitly.
    const nodeTp = Math.min(tp, options.gpusPerNode);
    const stages = Math.max(pp, Math.ceil(totalGpus / options.gpusPerNode));
    const perNode = totalGpus / stages;
    args = withoutArg(args, '--tensor-parallel-size', '-tp', '--pipeline-parallel-size', '-pp');
    const workerResources = withGpus(asObject(dig(worker, 'containers', '0', 'resources') ?? resources), perNode);
    predictor['workerSpec'] = {
      ...(worker ?? {}),
      tensorParallelSize: asNumber(worker?.['tensorParallelSize']) ?? nodeTp,
      pipelineParallelSize: asNumber(worker?.['pipelineParallelSize']) ?? stages,
      containers: [{ name: 'worker-container', resources: workerResources }],
    };
    resources = withGpus(resources, perNode);
    if (modelSpec['runtime'] !== undefined && modelSpec['runtime'] !== MULTINODE_RUNTIME) {
      warnings.push(`${where}: runtime ${String(modelSpec['runtime'])} replaced by ${MULTINODE_RUNTIME}, the runtime that serves a workerSpec`);
    }
    modelSpec['runtime'] = MULTINODE_RUNTIME;
    // Multi-node runs in Standard (raw deployment) mode, without autoscaling, with exactly one head pod.
    annotations[DEPLOYMENT_MODE] = 'Standard';
    annotations[AUTOSCALER_CLASS] = 'none';
    if ((predictor['minReplicas'] ?? 1) !== 1 || (predictor['maxReplicas'] ?? 1) !== 1) {
      warnings.push(`${where}: multi-node serving has exactly one head pod and no autoscaling: replicas set to 1 (was ${String(predictor['minReplicas'] ?? 1)}..${String(predictor['maxReplicas'] ?? '')})`);
    }
    predictor['minReplicas'] = 1;
    predictor['maxReplicas'] = 1;
    for (const key of ['scaleTarget', 'scaleMetric', 'containerConcurrency']) delete predictor[key];
    if (!String(modelSpec['storageUri'] ?? '').startsWith('pvc://')) {
      warnings.push(`${where}: multi-node serving loads weights from a ReadWriteMany PVC: storageUri should be pvc://… (is ${String(modelSpec['storageUri'] ?? 'unset')})`);
    }
  } else {
    // The env the reference sets (TENSOR_PARALLEL_SIZE / PIPELINE_PARALLEL_SIZE) means nothing to
    // vLLM's server: the flags do. Args already written win (withArg keeps the operator's spelling).
    if (model.tensorParallel !== undefined) args = withArg(args, '--tensor-parallel-size', String(tp), '-tp');
    if (model.pipelineParallel !== undefined) args = withArg(args, '--pipeline-parallel-size', String(pp), '-pp');
    if (gpusWritten === undefined) {
      resources = withGpus(resources, totalGpus);
      warnings.push(`${where}: no ${GPU_RESOURCE} in resources: rendered ${totalGpus} (tensor × pipeline parallel size)`);
    } else if (gpusWritten !== totalGpus) {
      warnings.push(`${where}: requests ${gpusWritten} GPU(s) but runs tensor × pipeline parallel ${totalGpus}: vLLM uses ${totalGpus}`);
    }
  }

  if (format === 'vllm') {
    const runtime = asString(modelSpec['runtime']) ?? VLLM_RUNTIME;
    modelSpec['runtime'] = runtime;
  }

  // Backend KV tiers from the CachePolicy.
  if (cache) {
    for (const flag of vllmCacheArgs(cache)) {
      const [name, value] = flag.split('=', 2) as [string, string | undefined];
      args = value === undefined ? (args.includes(name) ? args : [...args, name]) : withArg(args, name, value);
    }
    if (cache.memory || cache.disk) {
      const cpuGiB = cache.memory?.gib ?? STAGING_CPU_GIB;
      const connector = offloadingConnector({ cpuBytes: cache.memory?.bytes ?? cpuGiB * 2 ** 30, eviction: cache.memory?.eviction ?? 'lru', filesystems: cache.disk ? 1 : 0 });
      args = withArg(args, '--kv-transfer-config', JSON.stringify(connector));
      const own = quantityBytes(dig(resources, 'requests', 'memory')) ?? quantityBytes(dig(resources, 'limits', 'memory'));
      resources = withExtraMemory(resources, cpuGiB);
      const limit = quantityBytes(dig(resources, 'limits', 'memory'));
      const ratio = own !== undefined && own > 0 ? (cpuGiB * 2 ** 30) / own : 0;
      warnings.push(
        `${where}: CachePolicy ${cache.policy} ${cache.memory ? 'memory tier' : 'disk tier, staged through host RAM'}: ${cpuGiB}Gi of pinned host RAM per replica for KV offloading added to the pod's memory (${limit === undefined ? 'request; the pod sets no memory limit' : `limit now ${ceilGiB(limit)}Gi`})${ratio > 4 ? `, ${Math.round(ratio)}× the container's own memory: check the nodes have it` : ''}`,
      );
      if (!cache.memory) warnings.push(`${where}: CachePolicy ${cache.policy} has a disk tier but no memory tier: vLLM stages offloaded KV in host RAM first, ${STAGING_CPU_GIB}Gi per replica (add a memory tier to choose)`);
    }
    if (cache.disk) {
      const volume = KV_CACHE_VOLUME(0);
      predictor['volumes'] = [...asArray(predictor['volumes']).filter((v) => dig(v, 'name') !== volume), { name: volume, emptyDir: { sizeLimit: gibQuantity(cache.disk.gib) } }];
      modelSpec['volumeMounts'] = [...asArray(modelSpec['volumeMounts']).filter((v) => dig(v, 'name') !== volume), { name: volume, mountPath: kvCacheMount(0) }];
      // As KServe does for its disk tier: ask for the space so the scheduler places the pod where it exists.
      resources = { ...resources, requests: { ...asObject(resources['requests']), 'ephemeral-storage': gibQuantity(cache.disk.gib) } };
      warnings.push(`${where}: CachePolicy ${cache.policy} disk tier: ${cache.disk.gib}Gi node-local volume per replica at ${kvCacheMount(0)} (emptyDir sizeLimit, ephemeral-storage request)`);
    }
  }

  if (secret) modelSpec['env'] = withEnv(modelSpec['env'], apiKeyEnv(secret));
  else warnings.push(`${where}: region has no credentials.secretName: vLLM serves without an API key (${VLLM_API_KEY_ENV} unset)`);

  modelSpec['args'] = args;
  modelSpec['resources'] = resources;
  predictor['model'] = modelSpec;
  spec['predictor'] = predictor;

  const autoscaler = annotations[AUTOSCALER_CLASS];
  const metric = asString(predictor['scaleMetric']);
  if (autoscaler === 'hpa' && (metric === 'concurrency' || metric === 'rps')) {
    warnings.push(`${where}: ${AUTOSCALER_CLASS}=hpa scales on cpu or memory only; scaleMetric ${metric} needs Knative (Serverless mode, no hpa annotation) or KEDA (autoscalerClass keda)`);
  }

  const manifest: Manifest = {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: doc.metadata.name,
      namespace,
      labels: { ...(doc.metadata.labels ?? {}), ...regionLabels(region.metadata.name) },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    },
    spec,
  };
  const runtime = asString(modelSpec['runtime']);
  return { manifest, format, ...(runtime ? { runtime } : {}), warnings };
}
