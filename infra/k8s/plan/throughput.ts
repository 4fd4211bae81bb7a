import type { GpuShape } from './gpus.ts';

/**
 * First-order latency and capacity estimates, good enough to tell one replica from ten and a
 * 30 ms ITL from a 300 ms one; not a benchmark. The physics:
 *
 * - Decode is memory-bandwidth bound: every step streams the replica's weight shard from HBM
 *   once, so ITL ≈ weights per tensor-parallel rank / effective bandwidth. Pipeline stages run
 *   one after the other for a given token, so they do not shorten it. Tensor parallelism adds an
 *   all-reduce per layer (+10 %).
 * - Prefill is compute bound: about 2 FLOPs per parameter per prompt token, spread over the
 *   tensor-parallel ranks.
 * - A replica keeps BATCH sequences in flight (continuous batching); a full batch slows each
 *   step (LOAD_FACTOR, cf. the simulator's time factor F = 2 at max_num_seqs).
 * - Capacity: prefills use the whole replica's compute one after another, decode steps are
 *   shared by the batch, so each request costs prefill + output × ITL × LOAD_FACTOR / BATCH of
 *   replica time.
 */
export const BANDWIDTH_EFFICIENCY = 0.6;
export const COMPUTE_EFFICIENCY = 0.4;
export const TENSOR_PARALLEL_OVERHEAD = 1.1;
export const BATCH = 32;
export const LOAD_FACTOR = 1.5;
/** Replicas are sized to run at 80 % of their estimated capacity. */
export const TARGET_UTILIZATION = 0.8;

export function interTokenLatencyMs(weightsBytes: number, tensorParallel: number, gpu: GpuShape): number {
  const perRank = weightsBytes / tensorParallel;
  const ms = (perRank / (gpu.bandwidthGBs * 1e9 * BANDWIDTH_EFFICIENCY)) * 1000;
  return tensorParallel > 1 ? ms * TENSOR_PARALLEL_OVERHEAD : ms;
}

export function prefillMs(paramsB: number, promptTokens: number, tensorParallel: number, gpu: GpuShape): number {
  const flops = 2 * paramsB * 1e9 * promptTokens;
  return (flops / (gpu.tflops * 1e12 * COMPUTE_EFFICIENCY * tensorParallel)) * 1000;
}

/** Requests per second one replica sustains with BATCH sequences in flight. */
export function replicaRps(prefillMsPerRequest: number, itlMs: number, outputTokens: number): number {
  const replicaMsPerRequest = prefillMsPerRequest + (outputTokens * itlMs * LOAD_FACTOR) / BATCH;
  return 1000 / replicaMsPerRequest;
}

export const replicasFor = (rps: number, perReplicaRps: number): number => Math.max(1, Math.ceil(rps / (perReplicaRps * TARGET_UTILIZATION)));
