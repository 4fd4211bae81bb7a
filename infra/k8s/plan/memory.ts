/**
 * Memory math for serving a dense decoder-only model with vLLM. Deliberately simple, and
 * explicit about every assumption, so an operator can check it by hand:
 *
 *   weights bytes      = parameters × bytes per parameter (fp16/bf16 2, fp8/int8 1, int4 0.5)
 *   KV bytes per token = 2 (K and V) × layers × KV heads × head dim × bytes per KV element
 *   usable per GPU     = GPU memory × 0.90 (vLLM's --gpu-memory-utilization default) − 2 GiB
 *                        (activations, CUDA graphs, NCCL buffers: neither weights nor KV)
 *   KV room            = usable × GPUs − weights            (weights are sharded over the GPUs)
 *   fits               = KV room holds the tokens the replica must keep in flight
 */

export const PRECISIONS = ['fp32', 'bf16', 'fp16', 'fp8', 'int8', 'int4'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const BYTES_PER_PARAM: Record<Precision, number> = { fp32: 4, bf16: 2, fp16: 2, fp8: 1, int8: 1, int4: 0.5 };

export const GIB = 2 ** 30;
export const GPU_MEMORY_UTILIZATION = 0.9;
export const RUNTIME_OVERHEAD_GIB = 2;

/**
 * Layer counts of well-known dense models, by size: Llama 3.2 1B/3B, Llama 3.1 8B, Qwen2.5 14B
 * and 32B, Llama 3.1 70B and 405B. Between anchors the count is interpolated on log(size).
 */
const LAYER_ANCHORS: readonly (readonly [paramsB: number, layers: number])[] = [
  [1, 16],
  [3, 28],
  [8, 32],
  [14, 48],
  [32, 64],
  [70, 80],
  [405, 126],
];

/** Grouped-query attention as in Llama 3.x and Qwen2.5: 8 KV heads of dimension 128. */
export const KV_HEADS_TIMES_HEAD_DIM = 8 * 128;
/** vLLM keeps the KV cache in the model's 16-bit dtype unless told `--kv-cache-dtype fp8`. */
export const KV_BYTES_PER_ELEMENT = 2;

export function estimatedLayers(paramsB: number): number {
  const first = LAYER_ANCHORS[0] as readonly [number, number];
  const last = LAYER_ANCHORS[LAYER_ANCHORS.length - 1] as readonly [number, number];
  if (paramsB <= first[0]) return first[1];
  if (paramsB >= last[0]) return Math.round(last[1] * Math.sqrt(paramsB / last[0]));
  for (let i = 1; i < LAYER_ANCHORS.length; i++) {
    const [hiP, hiL] = LAYER_ANCHORS[i] as readonly [number, number];
    const [loP, loL] = LAYER_ANCHORS[i - 1] as readonly [number, number];
    if (paramsB <= hiP) {
      const t = (Math.log(paramsB) - Math.log(loP)) / (Math.log(hiP) - Math.log(loP));
      return Math.round(loL + t * (hiL - loL));
    }
  }
  return last[1];
}

export const weightsBytes = (paramsB: number, precision: Precision): number => paramsB * 1e9 * BYTES_PER_PARAM[precision];

export const kvBytesPerToken = (paramsB: number): number => 2 * estimatedLayers(paramsB) * KV_HEADS_TIMES_HEAD_DIM * KV_BYTES_PER_ELEMENT;

export const usableBytesPerGpu = (gpuMemoryGiB: number): number => (gpuMemoryGiB * GPU_MEMORY_UTILIZATION - RUNTIME_OVERHEAD_GIB) * GIB;

export interface Fit {
  tensorParallel: number;
  pipelineParallel: number;
  gpus: number;
  weightsGiBPerGpu: number;
  kvGiBPerGpu: number;
  /** Tokens the replica's KV cache can hold across all its GPUs. */
  kvTokens: number;
  fits: boolean;
}

/** How a model lays out over `tensorParallel × pipelineParallel` GPUs. */
export function fitOn(tensorParallel: number, pipelineParallel: number, weights: number, kvPerToken: number, kvTokensNeeded: number, gpuMemoryGiB: number): Fit {
  const gpus = tensorParallel * pipelineParallel;
  const weightsPerGpu = weights / gpus;
  const kvPerGpu = usableBytesPerGpu(gpuMemoryGiB) - weightsPerGpu;
  const kvTokens = kvPerGpu > 0 ? Math.floor((kvPerGpu * gpus) / kvPerToken) : 0;
  return {
    tensorParallel,
    pipelineParallel,
    gpus,
    weightsGiBPerGpu: weightsPerGpu / GIB,
    kvGiBPerGpu: Math.max(0, kvPerGpu) / GIB,
    kvTokens,
    fits: kvTokens >= kvTokensNeeded,
  };
}

/**
 * The smallest layout that fits: tensor parallel inside one node first (1, 2, 4, 8: powers of
 * two divide the attention heads of every common model), then pipeline stages across nodes of
 * `gpusPerNode` GPUs each. `undefined` when even 8 nodes are not enough.
 */
export function smallestFit(weights: number, kvPerToken: number, kvTokensNeeded: number, gpuMemoryGiB: number, gpusPerNode: number): Fit | undefined {
  for (let tp = 1; tp <= gpusPerNode; tp *= 2) {
    const fit = fitOn(tp, 1, weights, kvPerToken, kvTokensNeeded, gpuMemoryGiB);
    if (fit.fits) return fit;
  }
  const tp = 2 ** Math.floor(Math.log2(gpusPerNode));
  for (let pp = 2; pp <= 8; pp++) {
    const fit = fitOn(tp, pp, weights, kvPerToken, kvTokensNeeded, gpuMemoryGiB);
    if (fit.fits) return fit;
  }
  return undefined;
}
