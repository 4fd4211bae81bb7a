import { servedModelId } from '../../src/fleet/compile.ts';
import type { Fleet } from '../../src/fleet/load.ts';
import { LABEL, type InferenceServiceDoc, type LLMDeploymentDoc, type RegionDoc } from '../../src/fleet/schema.ts';
import { asNumber, asString, dig, isRecord } from './loose.ts';
import type { Precision } from './plan/memory.ts';
import type { PatternId } from './plan/patterns.ts';
import { argValue } from './vllm-args.ts';

export type ModelResource = InferenceServiceDoc | LLMDeploymentDoc;

export const GPU_RESOURCE = 'nvidia.com/gpu';

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
  maxModelLen?: number;
  /** Parameters in billions, read from the model's names ("…-70B-…"); undefined when none says. */
  paramsB?: number;
  precision: Precision;
  /** The pattern the fleet, as written, deploys. */
  configured: { pattern: PatternId; combinedWith: PatternId[] };
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

/** GPUs asked for by a container resources block (limits win, as Kubernetes requires them equal). */
export function gpusIn(resources: unknown): number | undefined {
  return asNumber(dig(resources, 'limits', GPU_RESOURCE)) ?? asNumber(dig(resources, 'requests', GPU_RESOURCE));
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
    const tp = asNumber(worker?.['tensorParallelSize']) ?? asNumber(argValue(args, '--tensor-parallel-size', '-tp'));
    const pp = asNumber(worker?.['pipelineParallelSize']) ?? asNumber(argValue(args, '--pipeline-parallel-size', '-pp'));
    const gpus = gpusIn(p.model?.resources);
    const min = p.minReplicas ?? 1;
    const base = {
      resource,
      id,
      name,
      args,
      // KServe leaves maxReplicas unbounded when unset; for planning, unset means "no more than min".
      replicas: { min, max: Math.max(min, p.maxReplicas ?? min) },
      precision: precisionOf(args, id, p.model?.storageUri),
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
  const decode = s.decode;
  const tp = decode?.parallelism?.tensor ?? s.tensorParallelSize;
  const pp = decode?.parallelism?.pipeline;
  const decodeReplicas = decode?.replicas ?? asNumber(dig(s, 'replicas')) ?? 1;
  const gpus = gpusIn(decode?.resources) ?? gpusIn(dig(s, 'resources'));
  const base = {
    resource,
    id,
    name,
    source: uri,
    args: [],
    replicas: { min: decodeReplicas, max: decodeReplicas },
    precision: precisionOf([], id, uri, asString(dig(s, 'precision'))),
    ...defined({
      gpusPerReplica: gpus,
      tensorParallel: tp,
      pipelineParallel: pp,
      prefillReplicas: s.prefill ? (s.prefill.replicas ?? 1) : undefined,
      maxModelLen: asNumber(dig(s, 'maxModelLen')),
      paramsB: paramsFromName(id, uri, name),
    }),
  };
  const multiGpu = (gpus ?? 1) > 1 || (tp ?? 1) > 1 || (pp ?? 1) > 1;
  return { ...base, configured: configuredPattern(base, s.prefill !== undefined, multiGpu) };
}

export const fleetModels = (fleet: Fleet): FleetModel[] => [...fleet.inferenceServices, ...fleet.llmDeployments].map(fleetModel);
