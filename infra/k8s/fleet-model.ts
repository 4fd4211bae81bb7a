import { servedModelId } from '../../src/fleet/compile.ts';
import type { Fleet } from '../../src/fleet/load.ts';
import { LABEL, TRAFFIC_SHAPES, type InferenceServiceDoc, type LLMDeploymentDoc, type RegionDoc, type TrafficShape } from '../../src/fleet/schema.ts';
import { quantityBytes } from '../../src/fleet/quantity.ts';
import { asNumber, asString, dig, isRecord, toJsonObject, type JsonObject } from './loose.ts';
import type { Precision } from './plan/memory.ts';
import type { PatternId } from './plan/patterns.ts';
import { argValue } from './vllm-args.ts';

export type ModelResource = InferenceServiceDoc | LLMDeploymentDoc;

export { GPU_RESOURCE, gpusIn } from '../../src/fleet/gpus.ts';
import { GPU_RESOURCE, gpusIn } from '../../src/fleet/gpus.ts';

/** One pool of an llm-d deployment (decode, or prefill), as the fleet writes it. */
export interface Pool {
  replicas: number;
  /** Container resources in Kubernetes' shape (the reference's `gpu` / `memory` shorthand converted). */
  resources: JsonObject;
  /** GPUs each pod asks for, when written. */
  gpus?: number;
  tensorParallel?: number;
  pipelineParallel?: number;
  /** Sequences one engine batches at most (vLLM --max-num-seqs). */
  batchSize?: number;
}

/** The KV cache an llm-d deployment's pools share (its `cache` block). */
export interface SharedCache {
  type: 'distributed' | 'local';
  size: string;
  bytes: number;
}

/** What infra needs to know about one model resource of the fleet, read once. */
export interface FleetModel {
  resource: ModelResource;
  /** The id the edge routes by and vLLM must serve (servedModelId). */
  id: string;
  name: string;
  /** Where the weights come from: storageUri or the LLMDeployment's model. */
  source?: string;
  args: string[];
  /** GPUs one replica (decode pod, for llm-d) requests. */
  gpusPerReplica?: number;
  tensorParallel?: number;
  pipelineParallel?: number;
  replicas: { min: number; max: number };
  /** llm-d: prefill pool size; absent when not disaggregated. */
  prefillReplicas?: number;
  /** InferenceService: the model container's resources, predictor-level ones merged in (the reference writes GPUs there). */
  containerResources?: JsonObject;
  /** LLMDeployment: its pools, from `serving` (the reference) or top-level prefill/decode. */
  pools?: { decode: Pool; prefill?: Pool };
  /** LLMDeployment: its `cache` block. */
  sharedCache?: SharedCache;
  maxModelLen?: number;
  /** Parameters in billions, read from the model's names ("…-70B-…"); undefined when none says. */
  paramsB?: number;
  precision: Precision;
  /** The pattern the fleet, as written, deploys. */
  configured: { pattern: PatternId; combinedWith: PatternId[] };
  /** The traffic shape the fleet declares for it (switchyard.dev/traffic). */
  traffic?: TrafficShape;
}

const splitList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Regions a model resource is served in: the same rule as the edge compiler (annotation/label, else every region). */
export function regionsOf(resource: ModelResource, fleet: Fleet): RegionDoc[] {
  const listed = [...splitList(resource.metadata.annotations?.[LABEL.regions]), ...splitList(resource.metadata.labels?.[LABEL.region])];
  if (listed.length === 0) return fleet.regions;
  return listed.map((id) => fleet.regions.find((r) => r.metadata.name === id)).filter((r): r is RegionDoc => r !== undefined);
}

/** The namespace a model lands in within a region: its own, else the region's (as the edge derives URLs). */
export const namespaceOf = (resource: ModelResource, region: RegionDoc): string => resource.metadata.namespace ?? region.spec.namespace;

/** Parameters in billions from names like "Llama-3.1-70B-Instruct", "qwen2.5-32b", "llama-3-1-8b". */
export function paramsFromName(...names: (string | undefined)[]): number | undefined {
  for (const name of names) {
    if (!name) continue;
    const matches = [...name.matchAll(/(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z0-9])/gi)].map((m) => Number(m[1]));
    if (matches.length > 0) return Math.max(...matches);
  }
  return undefined;
}

/** Weight precision from vLLM's --dtype / --quantization, or the model's name; bf16 when nothing says. */
export function precisionOf(args: readonly string[], ...names: (string | undefined)[]): Precision {
  const quantization = argValue(args, '--quantization', '-q')?.toLowerCase();
  if (quantization === 'fp8') return 'fp8';
  if (quantization && /awq|gptq|int4|bitsandbytes|marlin/.test(quantization)) return 'int4';
  const dtype = argValue(args, '--dtype')?.toLowerCase();
  if (dtype === 'float16' || dtype === 'half') return 'fp16';
  if (dtype === 'float32' || dtype === 'float') return 'fp32';
  if (dtype === 'bfloat16') return 'bf16';
  const joined = names.filter(Boolean).join(' ').toLowerCase();
  if (/fp8/.test(joined)) return 'fp8';
  if (/awq|gptq|int4|w4a16/.test(joined)) return 'int4';
  if (/int8|w8a8/.test(joined)) return 'int8';
  return 'bf16';
}

/**
 * A pool's or predictor's resources in Kubernetes' shape. The reference's shorthand `gpu: 2` is
 * a GPU request and limit (Kubernetes needs both, equal); `memory` and `cpu` are requests.
 */
export function k8sResources(written: unknown): JsonObject {
  const res = isRecord(written) ? written : {};
  const requests: JsonObject = { ...toJsonObject(res['requests']) };
  const limits: JsonObject = { ...toJsonObject(res['limits']) };
  const gpu = asNumber(res['gpu']);
  if (gpu !== undefined) {
    requests[GPU_RESOURCE] = String(gpu);
    limits[GPU_RESOURCE] = String(gpu);
  }
  for (const name of ['memory', 'cpu'] as const) {
    const amount = res[name];
    if (typeof amount === 'string' || typeof amount === 'number') requests[name] = amount;
  }
  const out: JsonObject = {};
  if (Object.keys(requests).length > 0) out['requests'] = requests;
  if (Object.keys(limits).length > 0) out['limits'] = limits;
  return out;
}

/**
 * The model container's resources: predictor.model.resources with predictor.resources (pod
 * level, as the reference writes them) merged in. The schema already refused disagreements.
 * A GPU written only as a request becomes a limit too: Kubernetes schedules extended resources
 * by their limit and refuses a request without one.
 */
export function containerResourcesOf(predictor: InferenceServiceDoc['spec']['predictor']): JsonObject {
  const pod = k8sResources(predictor.resources);
  const container = k8sResources(predictor.model?.resources);
  const merged: JsonObject = {};
  for (const side of ['requests', 'limits'] as const) {
    const block = { ...toJsonObject(pod[side]), ...toJsonObject(container[side]) };
    if (Object.keys(block).length > 0) merged[side] = block;
  }
  const gpus = dig(merged, 'requests', GPU_RESOURCE);
  if (gpus !== undefined && dig(merged, 'limits', GPU_RESOURCE) === undefined) {
    merged['limits'] = { ...toJsonObject(merged['limits']), [GPU_RESOURCE]: gpus as string };
  }
  return merged;
}

/** The value of an env var in a container's env list (the reference passes TENSOR_PARALLEL_SIZE this way). */
export function envValue(env: unknown, name: string): string | undefined {
  if (!Array.isArray(env)) return undefined;
  for (const entry of env) if (isRecord(entry) && entry['name'] === name && typeof entry['value'] === 'string') return entry['value'];
  return undefined;
}


/** The LLMDeployment's model as a URI KServe understands (`hf://` when the reference gives a bare Hugging Face id). */
export function llmDeploymentUri(doc: LLMDeploymentDoc): string {
  const m = doc.spec.model;
  const raw = typeof m === 'string' ? m : (m.uri ?? m.modelUri ?? m.name ?? doc.metadata.name);
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `hf://${raw}`;
}

function configuredPattern(m: Omit<FleetModel, 'configured'>, disaggregated: boolean, multiGpu: boolean): FleetModel['configured'] {
  const scaling: PatternId[] = m.replicas.max > m.replicas.min ? [3] : m.replicas.min > 1 ? [2] : [];
  if (disaggregated) return { pattern: 4, combinedWith: [...(multiGpu ? ([5] as PatternId[]) : []), ...scaling] };
  if (multiGpu) return { pattern: 5, combinedWith: scaling };
  return { pattern: scaling[0] ?? 1, combinedWith: [] };
}

/** Drops the keys whose value is undefined (exactOptionalPropertyTypes-friendly spreads). */
const defined = <T extends Record<string, unknown>>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };

export function fleetModel(resource: ModelResource): FleetModel {
  const id = servedModelId(resource);
  const name = resource.metadata.name;
  if (resource.kind === 'InferenceService') {
    const p = resource.spec.predictor;
    const args = p.model?.args ?? [];
    const worker = isRecord(p.workerSpec) ? p.workerSpec : undefined;
    const env = p.model?.env;
    const tp = asNumber(worker?.['tensorParallelSize']) ?? asNumber(argValue(args, '--tensor-parallel-size', '-tp')) ?? asNumber(envValue(env, 'TENSOR_PARALLEL_SIZE'));
    const pp = asNumber(worker?.['pipelineParallelSize']) ?? asNumber(argValue(args, '--pipeline-parallel-size', '-pp')) ?? asNumber(envValue(env, 'PIPELINE_PARALLEL_SIZE'));
    const containerResources = containerResourcesOf(p);
    const gpus = gpusIn(containerResources);
    const min = p.minReplicas ?? 1;
    const base = {
      resource,
      id,
      name,
      args,
      // KServe leaves maxReplicas unbounded when unset; for planning, unset means "no more than min".
      replicas: { min, max: Math.max(min, p.maxReplicas ?? min) },
      precision: precisionOf(args, id, p.model?.storageUri),
      containerResources,
      ...defined({
        source: p.model?.storageUri,
        gpusPerReplica: gpus,
        tensorParallel: tp,
        pipelineParallel: pp,
        maxModelLen: asNumber(argValue(args, '--max-model-len', '--max_model_len')),
        paramsB: paramsFromName(id, p.model?.storageUri, name),
      }),
    };
    const multiGpu = (gpus ?? 1) > 1 || (tp ?? 1) > 1 || (pp ?? 1) > 1 || worker !== undefined;
    return { ...base, configured: configuredPattern(base, false, multiGpu) };
  }
  const s = resource.spec;
  const uri = llmDeploymentUri(resource);
  const decode = poolOf(s.serving?.decode ?? s.decode, s.tensorParallelSize, asNumber(dig(s, 'replicas')) ?? 1, dig(s, 'resources'));
  const writtenPrefill = s.serving?.prefill ?? s.prefill;
  const prefill = writtenPrefill ? poolOf(writtenPrefill, s.tensorParallelSize, 1, undefined) : undefined;
  const size = s.cache?.size;
  const cacheBytes = size === undefined ? undefined : quantityBytes(size);
  const base = {
    resource,
    id,
    name,
    source: uri,
    args: [],
    replicas: { min: decode.replicas, max: decode.replicas },
    precision: precisionOf([], id, uri, asString(dig(s, 'precision'))),
    pools: { decode, ...(prefill ? { prefill } : {}) },
    ...defined({
      gpusPerReplica: decode.gpus,
      tensorParallel: decode.tensorParallel,
      pipelineParallel: decode.pipelineParallel,
      prefillReplicas: prefill?.replicas,
      maxModelLen: asNumber(dig(s, 'maxModelLen')),
      paramsB: paramsFromName(id, uri, name),
      sharedCache: s.cache && cacheBytes !== undefined ? { type: s.cache.type, size: String(s.cache.size), bytes: cacheBytes } : undefined,
    }),
  };
  const poolMultiGpu = (p: Pool | undefined) => p !== undefined && ((p.gpus ?? 1) > 1 || (p.tensorParallel ?? 1) > 1 || (p.pipelineParallel ?? 1) > 1);
  return { ...base, configured: configuredPattern(base, prefill !== undefined, poolMultiGpu(decode) || poolMultiGpu(prefill)) };
}

type Phase = NonNullable<LLMDeploymentDoc['spec']['decode']>;

/**
 * One pool. Its pods' GPUs are used only through parallelism, so a pool that asks for GPUs
 * without saying how runs tensor parallel across all of them (the reference's prefill: 2 GPUs).
 */
function poolOf(phase: Phase | undefined, deploymentTensor: number | undefined, defaultReplicas: number, fallbackResources: unknown): Pool {
  const resources = k8sResources(phase?.resources ?? fallbackResources);
  const gpus = gpusIn(resources);
  const pipeline = phase?.parallelism?.pipeline;
  const tensor = phase?.parallelism?.tensor ?? deploymentTensor ?? (gpus !== undefined && gpus > 1 ? Math.max(1, Math.floor(gpus / (pipeline ?? 1))) : undefined);
  return {
    replicas: phase?.replicas ?? defaultReplicas,
    resources,
    ...defined({ gpus, tensorParallel: tensor, pipelineParallel: pipeline, batchSize: phase?.batchSize }),
  };
}

/** The traffic annotation, when it names one of the matrix's shapes (the compiler refuses anything else). */
export function trafficOf(resource: ModelResource): TrafficShape | undefined {
  const written = resource.metadata.annotations?.[LABEL.traffic] ?? resource.metadata.labels?.[LABEL.traffic];
  return (TRAFFIC_SHAPES as readonly string[]).includes(written ?? '') ? (written as TrafficShape) : undefined;
}

export const fleetModels = (fleet: Fleet): FleetModel[] =>
  [...fleet.inferenceServices, ...fleet.llmDeployments].map((resource) => {
    const model = fleetModel(resource);
    const traffic = trafficOf(resource);
    return traffic ? { ...model, traffic } : model;
  });
