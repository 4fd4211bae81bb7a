import type { Fleet } from '../../../src/fleet/load.ts';
import { LABEL, type CachePolicyDoc } from '../../../src/fleet/schema.ts';
import type { ModelResource } from '../fleet-model.ts';
import { asString, isRecord } from '../loose.ts';
import { ceilGiB, quantityBytes } from '../../../src/fleet/quantity.ts';

/**
 * The CachePolicy's backend KV tiers, as vLLM and KServe express them. Every size is per
 * serving replica (one vLLM engine), which is how vLLM and KServe take them:
 * - gpu    → the KV cache in HBM: vLLM's --kv-cache-memory-bytes (per GPU), automatic prefix
 *            caching on it;
 * - memory → KV offloading to pinned host RAM: vLLM's OffloadingConnector with the tiering
 *            spec (cpu_bytes_to_use, eviction lru | arc), the RAM added to the pod;
 * - disk   → a filesystem tier behind RAM: the tiering spec's secondary "fs" tier, on a volume
 *            of that size (what KServe renders for kvCacheOffloading.secondary).
 * Fields the platform has no equivalent for (ttl, some evictions) are named in `notes`.
 */
export interface CacheTiers {
  policy: string;
  prefixCaching: boolean;
  blockSize?: number;
  /** KV cache bytes per GPU (vLLM --kv-cache-memory-bytes). */
  gpuBytes?: number;
  /** The host-RAM tier per replica. */
  memory?: { bytes: number; gib: number; eviction: Eviction };
  /** The filesystem tier per replica. */
  disk?: { bytes: number; gib: number };
  notes: string[];
}

export type Eviction = 'lru' | 'arc';

const VLLM_BLOCK_SIZES = [8, 16, 32, 64, 128];
/** Where vLLM's tiering spec finds its filesystem tiers: KServe's mount paths, /mnt/kv-cache-<i>. */
export const kvCacheMount = (index: number): string => `/mnt/kv-cache-${index}`;
export const KV_CACHE_VOLUME = (index: number): string => `kv-cache-secondary-${index}`;

type Tier = { label: string; kind: 'gpu' | 'memory' | 'disk' | undefined; size?: number; sizeText?: string; eviction?: string; ttl?: string };

const KIND_OF_TIER: Record<string, 'gpu' | 'memory' | 'disk'> = {
  gpu: 'gpu', hbm: 'gpu', vram: 'gpu',
  memory: 'memory', cpu: 'memory', ram: 'memory', dram: 'memory', host: 'memory',
  disk: 'disk', ssd: 'disk', nvme: 'disk', fs: 'disk', file: 'disk', filesystem: 'disk',
};

function tiersOf(policy: CachePolicyDoc): Tier[] {
  const raw = policy.spec.tiers;
  const entries: [string, unknown][] = Array.isArray(raw) ? raw.map((t, i) => [`tiers[${i}]`, t]) : Object.entries(raw ?? {}).map(([k, t]) => [`tiers.${k}`, t]);
  return entries.flatMap(([at, t]) => {
    if (!isRecord(t)) return [];
    const key = at.startsWith('tiers.') ? at.slice('tiers.'.length) : undefined;
    const name = asString(t['name']);
    const type = asString(t['type']) ?? name ?? key ?? '';
    const label = `${at}${name && !key ? ` (${name})` : ''}`;
    const sizeValue = t['size'] ?? t['capacity'];
    const size = quantityBytes(sizeValue);
    const eviction = asString(t['evictionPolicy']) ?? asString(t['eviction']);
    const ttl = t['ttl'] === undefined ? undefined : String(t['ttl']);
    return [
      {
        label,
        kind: KIND_OF_TIER[type.toLowerCase()] ?? KIND_OF_TIER[(name ?? '').toLowerCase()],
        ...(size !== undefined ? { size, sizeText: String(sizeValue) } : {}),
        ...(eviction ? { eviction: eviction.toLowerCase() } : {}),
        ...(ttl ? { ttl } : {}),
      },
    ];
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

function memoryEviction(tier: Tier, notes: string[]): Eviction {
  switch (tier.eviction) {
    case undefined:
    case 'lru':
      return 'lru';
    case 'arc':
      return 'arc';
    case 'lfu':
      notes.push(`${tier.label}.eviction lfu: rendered as arc (adaptive recency + frequency), the frequency-aware policy vLLM's offloading offers`);
      return 'arc';
    default:
      notes.push(`${tier.label}.eviction ${tier.eviction}: vLLM's offloading evicts by lru or arc only; rendered as lru`);
      return 'lru';
  }
}

export function cacheTiersFor(policy: CachePolicyDoc): CacheTiers {
  const notes: string[] = [];
  const prefix = policy.spec.prefixSharing;
  const out: CacheTiers = { policy: policy.metadata.name, prefixCaching: prefix?.enabled ?? true, notes };
  const blockSize = prefix?.blockSize;
  if (blockSize !== undefined && VLLM_BLOCK_SIZES.includes(blockSize)) out.blockSize = blockSize;
  else if (blockSize !== undefined) notes.push(`prefixSharing.blockSize ${blockSize} is not a vLLM block size (${VLLM_BLOCK_SIZES.join(', ')}): vLLM keeps its default of 16`);
  if (prefix?.minLength !== undefined) {
    notes.push(`prefixSharing.minLength ${prefix.minLength}: the edge's prefix-affinity threshold (prompts shorter than this many tokens are not routed by prefix); vLLM caches every full block`);
  }
  let memory: Tier | undefined;
  let disk: Tier | undefined;
  for (const tier of tiersOf(policy)) {
    if (tier.ttl !== undefined) notes.push(`${tier.label}.ttl ${tier.ttl}: no vLLM equivalent (KV blocks live until evicted for space), not rendered`);
    if (tier.kind === undefined) {
      notes.push(`${tier.label} is not a backend KV tier (type gpu, memory or disk): not rendered`);
      continue;
    }
    if (tier.kind === 'gpu') {
      if (tier.size !== undefined) {
        out.gpuBytes = Math.floor(tier.size);
        notes.push(`${tier.label}.size ${tier.sizeText}: vLLM --kv-cache-memory-bytes=${out.gpuBytes}, the KV cache of each GPU (instead of sizing it from --gpu-memory-utilization)`);
      }
      else notes.push(`${tier.label} has no size: vLLM sizes the GPU KV cache from --gpu-memory-utilization`);
      if (tier.eviction !== undefined && tier.eviction !== 'lru') {
        notes.push(`${tier.label}.eviction ${tier.eviction}: vLLM's GPU prefix cache always evicts least recently used blocks, not rendered`);
      }
      continue;
    }
    if (tier.size === undefined) {
      notes.push(`${tier.label} has no size: not rendered`);
      continue;
    }
    if (tier.kind === 'memory') memory = tier;
    else disk = tier;
  }
  if (memory?.size !== undefined) out.memory = { bytes: Math.floor(memory.size), gib: ceilGiB(memory.size), eviction: memoryEviction(memory, notes) };
  if (disk?.size !== undefined) {
    out.disk = { bytes: Math.floor(disk.size), gib: ceilGiB(disk.size) };
    if (disk.eviction !== undefined && disk.eviction !== (out.memory?.eviction ?? 'lru')) {
      notes.push(`${disk.label}.eviction ${disk.eviction}: vLLM's tiering evicts every tier with the memory tier's policy (${out.memory?.eviction ?? 'lru'}), not separately`);
    }
  }
  return out;
}

/** Host RAM that stages KV for a filesystem tier when the policy has no memory tier (KServe needs one in front of a disk tier). */
export const STAGING_CPU_GIB = 16;

export interface Offloading {
  cpuBytes: number;
  eviction: Eviction;
  /** Filesystem tiers in order: their mount index is their position. */
  filesystems: number;
}

/** vLLM's OffloadingConnector with the tiering spec: the host-RAM tier and the filesystem tiers mounted at /mnt/kv-cache-<i>. */
export function offloadingConnector(o: Offloading): Record<string, unknown> {
  const extra: Record<string, unknown> = { spec_name: 'TieringOffloadingSpec', cpu_bytes_to_use: o.cpuBytes, eviction_policy: o.eviction };
  if (o.filesystems > 0) extra['secondary_tiers'] = Array.from({ length: o.filesystems }, (_, i) => ({ type: 'fs', root_dir: kvCacheMount(i) }));
  return { kv_connector: 'OffloadingConnector', kv_role: 'kv_both', kv_connector_extra_config: extra };
}

/** vLLM flags for the GPU tier and prefix caching (the offloading tiers go through --kv-transfer-config). */
export function vllmCacheArgs(tiers: CacheTiers): string[] {
  const args: string[] = [tiers.prefixCaching ? '--enable-prefix-caching' : '--no-enable-prefix-caching'];
  if (tiers.blockSize !== undefined) args.push(`--block-size=${tiers.blockSize}`);
  if (tiers.gpuBytes !== undefined) args.push(`--kv-cache-memory-bytes=${tiers.gpuBytes}`);
  return args;
}
