import type { Fleet } from '../../../src/fleet/load.ts';
import { LABEL, type CachePolicyDoc } from '../../../src/fleet/schema.ts';
import type { ModelResource } from '../fleet-model.ts';
import { asString, isRecord } from '../loose.ts';
import { ceilGiB, quantityBytes } from '../quantity.ts';

/**
 * The CachePolicy's backend KV tiers, as vLLM and KServe can express them:
 * - gpu    → vLLM's automatic prefix caching in HBM (its size is the GPU's, set by
 *            --gpu-memory-utilization, not by the policy);
 * - memory → KV offloading to pinned host RAM (vLLM native offloading / kvCacheOffloading.cpu);
 * - disk   → a filesystem tier behind RAM (kvCacheOffloading.secondary, llm-d only).
 * Tier sizes are read as per GPU node and shared by the node's GPUs: a pod gets
 * size × its GPUs / GPUs per node. (Per pod, a 512Gi RAM tier on every 1-GPU pod would ask a
 * node for 8× its memory.)
 */
export interface CacheTiers {
  policy: string;
  prefixCaching: boolean;
  blockSize?: number;
  /** Pinned host RAM for offloaded KV, per pod, GiB. */
  memoryGiB?: number;
  /** LLMInferenceService evictionPolicy: lru or arc. */
  eviction?: 'lru' | 'arc';
  /** Filesystem tier, per pod, GiB. */
  diskGiB?: number;
  notes: string[];
}

const VLLM_BLOCK_SIZES = [8, 16, 32, 64, 128];

type Tier = { name: string; size?: number; eviction?: string; ttl?: string };

const KIND_OF_TIER: Record<string, 'gpu' | 'memory' | 'disk'> = {
  gpu: 'gpu', hbm: 'gpu', vram: 'gpu',
  memory: 'memory', cpu: 'memory', ram: 'memory', dram: 'memory', host: 'memory',
  disk: 'disk', ssd: 'disk', nvme: 'disk', fs: 'disk', file: 'disk', filesystem: 'disk',
};

function tiersOf(policy: CachePolicyDoc): Tier[] {
  const raw = policy.spec.tiers;
  const entries: [string | undefined, unknown][] = Array.isArray(raw) ? raw.map((t) => [undefined, t]) : Object.entries(raw ?? {});
  return entries.flatMap(([key, t]) => {
    if (!isRecord(t)) return [];
    const name = asString(t['type']) ?? asString(t['name']) ?? key ?? '';
    const size = quantityBytes(t['size'] ?? t['capacity']);
    const eviction = asString(t['evictionPolicy']) ?? asString(t['eviction']);
    const ttl = t['ttl'] === undefined ? undefined : String(t['ttl']);
    return [{ name, ...(size !== undefined ? { size } : {}), ...(eviction ? { eviction } : {}), ...(ttl ? { ttl } : {}) }];
  });
}

/** The CachePolicy a model uses: the one it names (switchyard.dev/cache-policy), else the fleet's only one. */
export function cachePolicyOf(resource: ModelResource, fleet: Fleet): CachePolicyDoc | undefined {
  const named = resource.metadata.labels?.[LABEL.cachePolicy] ?? resource.metadata.annotations?.[LABEL.cachePolicy];
  if (named !== undefined) {
    const policy = fleet.cachePolicies.find((p) => p.metadata.name === named);
    if (!policy) throw new Error(`${resource.kind} "${resource.metadata.name}" names CachePolicy "${named}", which the fleet does not define`);
    return policy;
  }
  return fleet.cachePolicies.length === 1 ? fleet.cachePolicies[0] : undefined;
}

export function cacheTiersFor(policy: CachePolicyDoc, podGpus: number, gpusPerNode: number): CacheTiers {
  const share = Math.min(1, podGpus / gpusPerNode);
  const notes: string[] = [];
  const out: CacheTiers = { policy: policy.metadata.name, prefixCaching: policy.spec.prefixSharing?.enabled ?? true, notes };
  const blockSize = policy.spec.prefixSharing?.blockSize;
  if (blockSize !== undefined && VLLM_BLOCK_SIZES.includes(blockSize)) out.blockSize = blockSize;
  else if (blockSize !== undefined) notes.push(`prefixSharing.blockSize ${blockSize} is not a vLLM block size (${VLLM_BLOCK_SIZES.join(', ')}): vLLM keeps its default of 16`);
  if (policy.spec.prefixSharing?.minLength !== undefined) {
    notes.push(`prefixSharing.minLength ${policy.spec.prefixSharing.minLength} is the edge's prefix-affinity threshold, not a vLLM setting`);
  }
  for (const tier of tiersOf(policy)) {
    const kind = KIND_OF_TIER[tier.name.toLowerCase()];
    if (tier.ttl !== undefined) notes.push(`tier ${tier.name}: ttl ${tier.ttl} has no vLLM equivalent (blocks live until evicted)`);
    if (kind === 'gpu') continue;
    if (kind === undefined) {
      notes.push(`tier "${tier.name}" is not a backend KV tier (gpu, memory or disk): not rendered`);
      continue;
    }
    if (tier.size === undefined) {
      notes.push(`tier ${tier.name} has no size: not rendered`);
      continue;
    }
    const gib = Math.max(1, ceilGiB(tier.size * share));
    if (kind === 'memory') {
      out.memoryGiB = gib;
      const e = tier.eviction?.toLowerCase();
      if (e === 'lru' || e === undefined) out.eviction = 'lru';
      else if (e === 'lfu' || e === 'arc') {
        out.eviction = 'arc';
        if (e === 'lfu') notes.push('memory tier: evictionPolicy lfu rendered as arc (adaptive recency + frequency), the closest KServe offers');
      } else {
        out.eviction = 'lru';
        notes.push(`memory tier: evictionPolicy ${e} rendered as lru (KServe offers lru and arc)`);
      }
    } else {
      out.diskGiB = gib;
      if (tier.eviction && tier.eviction.toLowerCase() !== (out.eviction ?? 'lru')) {
        notes.push(`disk tier: evictionPolicy ${tier.eviction} is not separately configurable (vLLM's tiering manager evicts across tiers)`);
      }
    }
  }
  return out;
}

/** vLLM flags for an InferenceService's container: prefix caching, block size, native CPU offloading. */
export function vllmCacheArgs(tiers: CacheTiers): string[] {
  const args: string[] = [];
  if (tiers.prefixCaching) args.push('--enable-prefix-caching');
  if (tiers.blockSize !== undefined) args.push(`--block-size=${tiers.blockSize}`);
  if (tiers.memoryGiB !== undefined) args.push('--kv-offloading-backend=native', `--kv-offloading-size=${tiers.memoryGiB}`);
  return args;
}

