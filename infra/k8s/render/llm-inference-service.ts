import { derivedServiceUrl } from '../../../src/fleet/compile.ts';
import type { LLMDeploymentDoc, RegionDoc } from '../../../src/fleet/schema.ts';
import { GPU_RESOURCE, llmDeploymentUri, type FleetModel, type Pool } from '../fleet-model.ts';
import { asString, dig, isRecord, type Json, type JsonObject } from '../loose.ts';
import { ceilGiB, gibQuantity, quantityBytes } from '../../../src/fleet/quantity.ts';
import { offloadingConnector, STAGING_CPU_GIB, vllmCacheArgs, type CacheTiers } from './cache-tiers.ts';
import { endpointPickerConfig, schedulerStrategy } from './epp-config.ts';
import { regionLabels, type Manifest } from './manifest.ts';
import type { RenderOptions } from './render-options.ts';
import { apiKeyEnv, VLLM_API_KEY_ENV, type UpstreamSecret } from './upstream-secret.ts';

/**
 * Pattern 4: the reference's llm-d LLMDeployment as a KServe LLMInferenceService
 * (serving.kserve.io/v1alpha2, the storage version, which also carries kvCacheOffloading).
 * The top-level workload is the decode pool (replicas, parallelism, template); `prefill` is the
 * prefill pool (serving.prefill / serving.decode as the reference writes them: replicas, GPUs
 * and memory per pod, batchSize as --max-num-seqs, a pod's GPUs used through tensor
 * parallelism). KV moves prefill → decode over NIXL; the `cache` block and the CachePolicy's
 * RAM and disk tiers become kvCacheOffloading. The router has three parts:
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

const KNOWN_FIELDS = new Set(['model', 'serving', 'cache', 'prefill', 'decode', 'tensorParallelSize', 'router', 'routing', 'scheduler', 'replicas', 'resources', 'maxModelLen', 'precision']);

export interface LLMInferenceServiceRender {
  manifest: Manifest;
  /** Objects it needs beside it: the shared KV cache volume of a distributed `cache`. */
  companions: Manifest[];
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

/** The KV cache volume every pod of a distributed `cache` mounts (ReadWriteMany). */
export const sharedCacheClaim = (name: string): string => `${name}-kv-cache`;

/**
 * How llm-d moves KV from prefill to decode: vLLM's NixlConnector, the prefill pods producing and
 * the decode pods consuming (KServe's P/D samples), the side channel on the pod IP. The decode
 * pods' routing sidecar in KServe's template speaks the matching protocol (--kv-connector=nixlv2).
 * With offloading tiers too, both connectors run under vLLM's MultiConnector, as KServe's own
 * P/D-plus-offload sample does: a --kv-transfer-config of ours replaces the template's.
 */
function kvTransferConfig(role: 'kv_producer' | 'kv_consumer', offload: Record<string, unknown> | undefined): Record<string, unknown> {
  const nixl = { kv_connector: 'NixlConnector', kv_role: role };
  if (!offload) return nixl;
  return { kv_connector: 'MultiConnector', kv_role: 'kv_both', kv_connector_extra_config: { connectors: [nixl, offload] } };
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
  const companions: Manifest[] = [];
  const s = doc.spec;
  const pools = model.pools ?? { decode: { replicas: model.replicas.min, resources: {} } };
  const disaggregated = pools.prefill !== undefined;

  for (const key of Object.keys(s)) {
    if (!KNOWN_FIELDS.has(key)) warnings.push(`${where}: spec.${key} has no LLMInferenceService equivalent infra knows: not rendered`);
  }
  const runtime = typeof s.model === 'string' ? undefined : s.model.runtime;
  if (runtime !== undefined && runtime.toLowerCase() !== 'vllm') {
    warnings.push(`${where}: model.runtime ${runtime}: llm-d on KServe serves with vLLM only, rendered as vLLM`);
  }

  // The KV tiers: the CachePolicy's per-pod RAM and disk, and the deployment's own `cache` (one
  // volume all pods share when distributed, one per pod when local). KServe mounts them in order
  // at /mnt/kv-cache-<i>, which is where vLLM's tiering spec looks.
  const shared = model.sharedCache;
  const filesystems: { tier: Json; what: string }[] = [];
  if (cache?.disk) filesystems.push({ tier: { fileSystem: { emptyDir: { size: gibQuantity(cache.disk.gib) } } }, what: `${cache.disk.gib}Gi node-local disk per pod (CachePolicy ${cache.policy})` });
  if (shared?.type === 'distributed') {
    const claim = sharedCacheClaim(name);
    filesystems.push({ tier: { fileSystem: { pvc: { ref: { name: claim } } } }, what: `${shared.size} shared by every prefill and decode pod (PersistentVolumeClaim ${claim}, ReadWriteMany)` });
    companions.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claim, namespace, labels: regionLabels(region.metadata.name) },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: shared.size } } },
    });
  } else if (shared?.type === 'local') {
    filesystems.push({ tier: { fileSystem: { emptyDir: { size: shared.size } } }, what: `${shared.size} node-local disk per pod (spec.cache, local)` });
  }
  const offloads = cache?.memory !== undefined || filesystems.length > 0;
  const cpuGiB = cache?.memory?.gib ?? STAGING_CPU_GIB;
  const eviction = cache?.memory?.eviction ?? 'lru';
  const offloading: JsonObject | undefined = offloads
    ? { cpu: gibQuantity(cpuGiB), evictionPolicy: eviction, ...(filesystems.length > 0 ? { secondary: filesystems.map((f) => f.tier) } : {}) }
    : undefined;
  const connector = offloads ? offloadingConnector({ cpuBytes: cache?.memory?.bytes ?? cpuGiB * 2 ** 30, eviction, filesystems: filesystems.length }) : undefined;
  if (offloads) {
    warnings.push(`${where}: KV offloading per pod: ${cpuGiB}Gi pinned host RAM${cache?.memory ? ` (CachePolicy ${cache.policy} memory tier)` : ` (staging for the disk tiers; add a memory tier to the CachePolicy to choose)`}, added to the pods' memory${filesystems.length > 0 ? `; then ${filesystems.map((f) => f.what).join('; then ')}` : ''}`);
  }
  if (shared?.type === 'distributed') {
    warnings.push(`${where}: the shared KV cache needs a ReadWriteMany storage class (NFS, CephFS, Lustre, a cloud file store): PersistentVolumeClaim ${sharedCacheClaim(name)} uses the cluster default`);
  }

  // Flags every pool shares travel in VLLM_ADDITIONAL_ARGS: KServe's templates own the container
  // args (serve command, --served-model-name, ports) and a list in our template would replace them.
  const common: string[] = [];
  if (model.maxModelLen !== undefined) common.push(`--max-model-len=${model.maxModelLen}`);
  if (cache) common.push(...vllmCacheArgs(cache));

  const container = (pool: Pool, role: 'kv_producer' | 'kv_consumer' | undefined): JsonObject => {
    const args = [...common];
    if (pool.batchSize !== undefined) args.push(`--max-num-seqs=${pool.batchSize}`);
    if (role) args.push(`--kv-transfer-config '${JSON.stringify(kvTransferConfig(role, connector))}'`);
    const env: Json[] = [];
    if (secret) env.push(apiKeyEnv(secret));
    if (role) env.push({ name: 'VLLM_NIXL_SIDE_CHANNEL_HOST', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
    if (args.length > 0) env.push({ name: 'VLLM_ADDITIONAL_ARGS', value: args.join(' ') });
    let res = pool.resources;
    const need = (pool.tensorParallel ?? 1) * (pool.pipelineParallel ?? 1);
    if (pool.gpus === undefined && need > 1) res = { ...res, requests: { ...asObject(res['requests']), [GPU_RESOURCE]: String(need) }, limits: { ...asObject(res['limits']), [GPU_RESOURCE]: String(need) } };
    if (offloads) {
      for (const side of ['requests', 'limits'] as const) {
        const block = asObject(res[side]);
        const current = quantityBytes(block['memory']);
        if (current === undefined && side === 'limits') continue;
        res = { ...res, [side]: { ...block, memory: gibQuantity(ceilGiB(current ?? 0) + cpuGiB) } };
      }
    }
    return { name: 'main', ...(env.length > 0 ? { env } : {}), ...(Object.keys(res).length > 0 ? { resources: res } : {}) };
  };
  if (!secret) warnings.push(`${where}: region has no credentials.secretName: vLLM serves without an API key (${VLLM_API_KEY_ENV} unset)`);

  const parallelism = (pool: Pool): JsonObject | undefined => {
    const p: JsonObject = {};
    if (pool.tensorParallel !== undefined) p['tensor'] = pool.tensorParallel;
    if (pool.pipelineParallel !== undefined) p['pipeline'] = pool.pipelineParallel;
    return Object.keys(p).length > 0 ? p : undefined;
  };

  const checkGpus = (label: string, pool: Pool) => {
    const need = (pool.tensorParallel ?? 1) * (pool.pipelineParallel ?? 1);
    if (need > options.gpusPerNode) {
      warnings.push(`${where}: ${label} pool needs ${need} GPUs per replica, more than one ${options.gpusPerNode}-GPU node: multi-node llm-d pools (LeaderWorkerSet, spec.worker) are not rendered; lower tensor parallelism or add pipeline stages by hand`);
    } else if (pool.gpus === undefined) {
      warnings.push(`${where}: ${label} pool has no ${GPU_RESOURCE}: rendered ${need} (tensor × pipeline parallel size)`);
    } else if (pool.gpus !== need) {
      warnings.push(`${where}: ${label} pool requests ${pool.gpus} GPU(s) per pod but parallelism uses ${need}`);
    }
    if (pool.batchSize !== undefined) warnings.push(`${where}: ${label} pool batchSize ${pool.batchSize} → vLLM --max-num-seqs=${pool.batchSize} (sequences batched per step)`);
  };

  checkGpus('decode', pools.decode);
  const spec: JsonObject = {
    model: { uri: llmDeploymentUri(doc), name: model.id },
    replicas: pools.decode.replicas,
  };
  const decodeParallelism = parallelism(pools.decode);
  if (decodeParallelism) spec['parallelism'] = decodeParallelism;
  spec['template'] = { containers: [container(pools.decode, disaggregated ? 'kv_consumer' : undefined)] };
  if (offloading) spec['kvCacheOffloading'] = offloading;

  if (pools.prefill) {
    checkGpus('prefill', pools.prefill);
    const prefillParallelism = parallelism(pools.prefill);
    spec['prefill'] = {
      replicas: pools.prefill.replicas,
      ...(prefillParallelism ? { parallelism: prefillParallelism } : {}),
      template: { containers: [container(pools.prefill, 'kv_producer')] },
      ...(offloading ? { kvCacheOffloading: offloading } : {}),
    };
    warnings.push(`${where}: prefill → decode KV transfer over NIXL (NixlConnector kv_producer / kv_consumer, side channel on the pod IP)${connector ? ', beside the offloading tiers (MultiConnector)' : ''}`);
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
      config: { inline: endpointPickerConfig(strategy, disaggregated) },
    },
  };

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
  return { manifest, companions, warnings };
}
