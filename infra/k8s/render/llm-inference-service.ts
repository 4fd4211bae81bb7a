import { derivedServiceUrl } from '../../../src/fleet/compile.ts';
import type { LLMDeploymentDoc, RegionDoc } from '../../../src/fleet/schema.ts';
import { GPU_RESOURCE, gpusIn, llmDeploymentUri, type FleetModel } from '../fleet-model.ts';
import { asString, dig, isRecord, toJsonObject, type Json, type JsonObject } from '../loose.ts';
import { ceilGiB, gibQuantity, quantityBytes } from '../quantity.ts';
import type { CacheTiers } from './cache-tiers.ts';
import { endpointPickerConfig, schedulerStrategy } from './epp-config.ts';
import { regionLabels, type Manifest } from './manifest.ts';
import type { RenderOptions } from './render-options.ts';
import { apiKeyEnv, VLLM_API_KEY_ENV, type UpstreamSecret } from './upstream-secret.ts';

/**
 * Pattern 4: the reference's llm-d LLMDeployment as a KServe LLMInferenceService
 * (serving.kserve.io/v1alpha2, the storage version, which also carries kvCacheOffloading).
 * The top-level workload is the decode pool (replicas, parallelism, template); `prefill` is the
 * prefill pool. The router has three parts:
 * - scheduler: KServe runs the llm-d endpoint picker (EPP) and creates the InferencePool
 *   `<name>-inference-pool` from router.scheduler.pool.spec, which infra renders (selector,
 *   target port, EPP reference). A separate InferencePool object would make KServe stop
 *   managing its EPP (a referenced pool is "bring your own"), so the pool lives here.
 * - route: an HTTPRoute on the KServe ingress gateway for the host
 *   `<name>.<namespace>.<ingress domain>`, every path to the pool. That is the same host and
 *   path style (/v1) the edge derives for every model (derivedServiceUrl + /v1).
 *   KServe's *managed* route (`route: {}`) would instead serve the model at
 *   `<gateway address>/<namespace>/<name>/v1` (path prefix rewritten to /), which the edge's
 *   host-based derivation cannot reach; infra therefore writes the route spec itself.
 * - gateway: the same gateway, referenced so KServe reports its readiness.
 */
export const POOL_SUFFIX = '-inference-pool';
export const EPP_SERVICE_SUFFIX = '-epp-service';
/** The routing sidecar (decode) and vLLM (prefill) listen on 8000; the EPP's ext-proc gRPC on 9002. */
export const WORKLOAD_PORT = 8000;
export const EPP_GRPC_PORT = 9002;

/** Labels KServe puts on the prefill and decode pods of an LLMInferenceService (what the pool selects). */
export const workloadSelector = (name: string): Record<string, string> => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/part-of': 'llminferenceservice',
  'kserve.io/component': 'workload',
});

const KNOWN_FIELDS = new Set(['model', 'prefill', 'decode', 'tensorParallelSize', 'router', 'routing', 'scheduler', 'replicas', 'resources', 'maxModelLen', 'precision']);

export interface LLMInferenceServiceRender {
  manifest: Manifest;
  warnings: string[];
}

const asObject = (value: unknown): JsonObject => (isRecord(value) ? (value as JsonObject) : {});

/** The strategy named by the reference's router.scheduler (string or {type|name}), scheduler or routing. */
function strategyName(spec: LLMDeploymentDoc['spec']): string | undefined {
  for (const v of [dig(spec, 'router', 'scheduler'), spec.scheduler, spec.routing]) {
    if (typeof v === 'string') return v;
    const named = asString(dig(v, 'type')) ?? asString(dig(v, 'name')) ?? asString(dig(v, 'strategy'));
    if (named) return named;
  }
  return undefined;
}

export function renderLLMInferenceService(
  model: FleetModel,
  region: RegionDoc,
  namespace: string,
  secret: UpstreamSecret | undefined,
  cache: CacheTiers | undefined,
  options: RenderOptions,
): LLMInferenceServiceRender {
  const doc = model.resource;
  if (doc.kind !== 'LLMDeployment') throw new Error(`renderLLMInferenceService: ${doc.kind} "${doc.metadata.name}" is not an LLMDeployment`);
  const name = doc.metadata.name;
  const where = `LLMDeployment "${name}" in ${region.metadata.name}`;
  const warnings: string[] = [];
  const s = doc.spec;

  for (const key of Object.keys(s)) {
    if (!KNOWN_FIELDS.has(key)) warnings.push(`${where}: spec.${key} has no LLMInferenceService equivalent infra knows: not rendered`);
  }

  // Extra vLLM flags travel in VLLM_ADDITIONAL_ARGS: KServe's templates own the container args
  // (serve command, --served-model-name, ports) and a list in our template would replace them.
  const extraArgs: string[] = [];
  if (model.maxModelLen !== undefined) extraArgs.push(`--max-model-len=${model.maxModelLen}`);
  if (cache?.prefixCaching) extraArgs.push('--enable-prefix-caching');
  if (cache?.blockSize !== undefined) extraArgs.push(`--block-size=${cache.blockSize}`);

  const env: Json[] = [];
  if (secret) env.push(apiKeyEnv(secret));
  else warnings.push(`${where}: region has no credentials.secretName: vLLM serves without an API key (${VLLM_API_KEY_ENV} unset)`);
  if (extraArgs.length > 0) env.push({ name: 'VLLM_ADDITIONAL_ARGS', value: extraArgs.join(' ') });

  const container = (resources: unknown, extraMemoryGiB = 0): JsonObject => {
    let res = toJsonObject(resources ?? {});
    if (extraMemoryGiB > 0) {
      for (const side of ['requests', 'limits'] as const) {
        const block = asObject(res[side]);
        const current = quantityBytes(block['memory']);
        if (current === undefined && side === 'limits') continue;
        res = { ...res, [side]: { ...block, memory: gibQuantity(ceilGiB(current ?? 0) + extraMemoryGiB) } };
      }
    }
    return { name: 'main', ...(env.length > 0 ? { env } : {}), ...(Object.keys(res).length > 0 ? { resources: res } : {}) };
  };

  const parallelism = (tensor: number | undefined, pipeline: number | undefined): JsonObject | undefined => {
    const p: JsonObject = {};
    if (tensor !== undefined) p['tensor'] = tensor;
    if (pipeline !== undefined) p['pipeline'] = pipeline;
    return Object.keys(p).length > 0 ? p : undefined;
  };

  const checkGpus = (pool: string, resources: unknown, tensor: number | undefined, pipeline: number | undefined) => {
    const gpus = gpusIn(resources);
    const need = (tensor ?? 1) * (pipeline ?? 1);
    if (need > options.gpusPerNode) {
      warnings.push(`${where}: ${pool} pool needs ${need} GPUs per replica, more than one ${options.gpusPerNode}-GPU node: multi-node llm-d pools (LeaderWorkerSet, spec.worker) are not rendered; lower tensor parallelism or add pipeline stages by hand`);
    } else if (gpus === undefined) {
      warnings.push(`${where}: ${pool} pool has no ${GPU_RESOURCE} limit: KServe's template default applies, vLLM expects ${need}`);
    } else if (gpus !== need) {
      warnings.push(`${where}: ${pool} pool requests ${gpus} GPU(s) per pod but parallelism uses ${need}`);
    }
  };

  const decode = s.decode;
  const decodeTensor = decode?.parallelism?.tensor ?? s.tensorParallelSize;
  const decodePipeline = decode?.parallelism?.pipeline;
  const decodeResources = decode?.resources ?? dig(s, 'resources');
  checkGpus('decode', decodeResources, decodeTensor, decodePipeline);

  const spec: JsonObject = {
    model: { uri: llmDeploymentUri(doc), name: model.id },
    replicas: model.replicas.min,
  };
  const decodeParallelism = parallelism(decodeTensor, decodePipeline);
  if (decodeParallelism) spec['parallelism'] = decodeParallelism;
  spec['template'] = { containers: [container(decodeResources, cache?.memoryGiB ?? 0)] };

  if (s.prefill) {
    const tensor = s.prefill.parallelism?.tensor ?? s.tensorParallelSize;
    const pipeline = s.prefill.parallelism?.pipeline;
    checkGpus('prefill', s.prefill.resources, tensor, pipeline);
    const prefillParallelism = parallelism(tensor, pipeline);
    spec['prefill'] = {
      replicas: s.prefill.replicas ?? 1,
      ...(prefillParallelism ? { parallelism: prefillParallelism } : {}),
      template: { containers: [container(s.prefill.resources)] },
    };
  }

  const { strategy, unknown } = schedulerStrategy(strategyName(s));
  if (unknown) warnings.push(`${where}: scheduler "${unknown}" is not one infra knows (prefix-cache-aware, load-aware): rendered prefix-cache-aware`);

  const gatewayRef = { name: options.gateway.name, namespace: options.gateway.namespace };
  const poolName = `${name}${POOL_SUFFIX}`;
  if (poolName.length > 63) warnings.push(`${where}: "${poolName}" is longer than 63 characters: KServe shortens it with a hash, and the route's backendRef must follow`);
  const ingress = region.spec.ingress;
  const route: JsonObject = ingress
    ? {
        http: {
          spec: {
            parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', ...gatewayRef }],
            hostnames: [new URL(derivedServiceUrl(ingress.scheme, name, namespace, ingress.domain)).hostname],
            rules: [
              {
                matches: [{ path: { type: 'PathPrefix', value: '/' } }],
                backendRefs: [{ group: 'inference.networking.k8s.io', kind: 'InferencePool', name: poolName, port: WORKLOAD_PORT }],
                // Streams last as long as generation does: no gateway timeouts.
                timeouts: { request: '0s', backendRequest: '0s' },
              },
            ],
          },
        },
      }
    : {};
  if (!ingress) warnings.push(`${where}: region has no ingress domain: KServe's managed route serves the model at <gateway>/${namespace}/${name}/v1; the edge uses the region's explicit endpoints`);

  spec['router'] = {
    gateway: { refs: [gatewayRef] },
    route,
    scheduler: {
      pool: {
        spec: {
          selector: { matchLabels: workloadSelector(name) },
          targetPorts: [{ number: WORKLOAD_PORT }],
          endpointPickerRef: { name: `${name}${EPP_SERVICE_SUFFIX}`, port: { number: EPP_GRPC_PORT }, failureMode: 'FailOpen' },
        },
      },
      config: { inline: endpointPickerConfig(strategy, s.prefill !== undefined) },
    },
  };

  if (cache?.memoryGiB !== undefined) {
    spec['kvCacheOffloading'] = {
      cpu: gibQuantity(cache.memoryGiB),
      ...(cache.eviction ? { evictionPolicy: cache.eviction } : {}),
      ...(cache.diskGiB !== undefined ? { secondary: [{ fileSystem: { emptyDir: { size: gibQuantity(cache.diskGiB) } } }] } : {}),
    };
    warnings.push(`${where}: CachePolicy ${cache.policy}: ${cache.memoryGiB}Gi host RAM${cache.diskGiB !== undefined ? ` and ${cache.diskGiB}Gi node disk` : ''} per decode pod for KV offloading (added to the decode pods' memory)`);
    if (s.prefill) {
      // Both features set vLLM's --kv-transfer-config (NixlConnector for P/D, OffloadingConnector for tiers).
      warnings.push(`${where}: prefill/decode KV transfer and KV offloading both configure vLLM's --kv-transfer-config: check that the decode pods run with both connectors (kubectl get deploy -o yaml) before relying on the offload tier`);
    }
  } else if (cache?.diskGiB !== undefined) {
    warnings.push(`${where}: CachePolicy ${cache.policy} has a disk tier but no memory tier: KServe offloads to disk only behind a CPU tier; not rendered`);
  }

  const manifest: Manifest = {
    apiVersion: 'serving.kserve.io/v1alpha2',
    kind: 'LLMInferenceService',
    metadata: {
      name,
      namespace,
      labels: { ...(doc.metadata.labels ?? {}), ...regionLabels(region.metadata.name) },
      ...(doc.metadata.annotations ? { annotations: { ...doc.metadata.annotations } } : {}),
    },
    spec,
  };
  return { manifest, warnings };
}
