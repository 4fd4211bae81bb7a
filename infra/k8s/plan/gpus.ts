/**
 * Accelerator presets for the plan's memory and speed estimates. Memory decides what fits;
 * bandwidth (decode) and dense 16-bit throughput (prefill) decide the latency estimates.
 * Numbers are the vendors' datasheet figures; the plan applies its own efficiency factors.
 */
export interface GpuShape {
  name: string;
  memoryGiB: number;
  /** HBM bandwidth, GB/s. */
  bandwidthGBs: number;
  /** Dense BF16/FP16 tensor throughput, TFLOP/s (no sparsity). */
  tflops: number;
}

export const GPUS = {
  h100: { name: 'H100 SXM 80 GB', memoryGiB: 80, bandwidthGBs: 3350, tflops: 989 },
  h200: { name: 'H200 141 GB', memoryGiB: 141, bandwidthGBs: 4800, tflops: 989 },
  b200: { name: 'B200 192 GB', memoryGiB: 192, bandwidthGBs: 8000, tflops: 2250 },
  'a100-80': { name: 'A100 80 GB', memoryGiB: 80, bandwidthGBs: 2039, tflops: 312 },
  'a100-40': { name: 'A100 40 GB', memoryGiB: 40, bandwidthGBs: 1555, tflops: 312 },
  l40s: { name: 'L40S 48 GB', memoryGiB: 48, bandwidthGBs: 864, tflops: 362 },
  a10g: { name: 'A10G 24 GB', memoryGiB: 24, bandwidthGBs: 600, tflops: 125 },
} as const satisfies Record<string, GpuShape>;

export type GpuName = keyof typeof GPUS;
export const GPU_NAMES = Object.keys(GPUS) as GpuName[];
export const DEFAULT_GPU: GpuName = 'h100';

/** A preset, with its memory overridden when the operator knows better (`--gpu-memory`). */
export function gpuShape(name: GpuName = DEFAULT_GPU, memoryGiB?: number): GpuShape {
  const preset: GpuShape = GPUS[name];
  return memoryGiB === undefined || memoryGiB === preset.memoryGiB ? preset : { ...preset, name: `${preset.name} at ${memoryGiB} GiB`, memoryGiB };
}
