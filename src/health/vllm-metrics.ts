import { parsePrometheus, type PromSample } from './prometheus.ts';

/** The vLLM metrics routing reads (names as vLLM's Prometheus exporter prints them). */
export const VLLM_METRIC = {
  waiting: 'vllm:num_requests_waiting',
  running: 'vllm:num_requests_running',
  kvCacheUsage: 'vllm:kv_cache_usage_perc',
  /** The same gauge before vLLM renamed it (V0 engine and early V1 releases). */
  kvCacheUsageLegacy: 'vllm:gpu_cache_usage_perc',
} as const;

/** NVIDIA DCGM exporter gauges, per GPU: vLLM does not report GPU utilization itself. */
export const DCGM_METRIC = {
  /** Percent of time a kernel ran, 0..100. */
  gpuUtil: 'DCGM_FI_DEV_GPU_UTIL',
  /** Framebuffer MiB used and free. */
  fbUsed: 'DCGM_FI_DEV_FB_USED',
  fbFree: 'DCGM_FI_DEV_FB_FREE',
} as const;

const WANTED: ReadonlySet<string> = new Set([...Object.values(VLLM_METRIC), ...Object.values(DCGM_METRIC)]);

/** One server's load, each field absent when the exposition did not carry it. */
export interface VllmLoad {
  waiting?: number;
  running?: number;
  /** 0..1 */
  kvCacheUsage?: number;
  /** 0..1: the mean over the server's GPUs. */
  gpuUtilization?: number;
  /** 0..1: framebuffer used over total, summed over its GPUs. */
  gpuMemoryUsage?: number;
}

/**
 * Sum of one metric over all its series (one per `model_name`, and per `engine` with data
 * parallelism). Non-finite and negative values are garbage for a gauge of counts: skipped.
 */
export function sumOf(samples: readonly PromSample[], name: string): number | undefined {
  let total: number | undefined;
  for (const s of samples) {
    if (s.name === name && Number.isFinite(s.value) && s.value >= 0) total = (total ?? 0) + s.value;
  }
  return total;
}

/** Largest value of one metric over its series; for ratios, where a sum means nothing. */
export function maxOf(samples: readonly PromSample[], name: string): number | undefined {
  let max: number | undefined;
  for (const s of samples) {
    if (s.name === name && Number.isFinite(s.value) && s.value >= 0 && (max === undefined || s.value > max)) max = s.value;
  }
  return max;
}

/**
 * Waiting and running requests summed over the server's series. KV-cache usage is a ratio
 * per engine, so it takes the fullest engine (the one that will queue first), preferring
 * the current name over the legacy one.
 */
export function readVllmLoad(samples: readonly PromSample[]): VllmLoad {
  const load: VllmLoad = {};
  const waiting = sumOf(samples, VLLM_METRIC.waiting);
  const running = sumOf(samples, VLLM_METRIC.running);
  const kv = maxOf(samples, VLLM_METRIC.kvCacheUsage) ?? maxOf(samples, VLLM_METRIC.kvCacheUsageLegacy);
  if (waiting !== undefined) load.waiting = waiting;
  if (running !== undefined) load.running = running;
  if (kv !== undefined) load.kvCacheUsage = kv;
  const utils = samples.filter((s) => s.name === DCGM_METRIC.gpuUtil && Number.isFinite(s.value) && s.value >= 0);
  if (utils.length > 0) load.gpuUtilization = Math.min(1, utils.reduce((n, s) => n + s.value, 0) / utils.length / 100);
  const used = sumOf(samples, DCGM_METRIC.fbUsed);
  const free = sumOf(samples, DCGM_METRIC.fbFree);
  if (used !== undefined && free !== undefined && used + free > 0) load.gpuMemoryUsage = used / (used + free);
  return load;
}

/** Parses a /metrics body, keeping only the series readVllmLoad needs. */
export function parseVllmLoad(text: string): VllmLoad {
  return readVllmLoad(parsePrometheus(text, { only: WANTED }));
}
