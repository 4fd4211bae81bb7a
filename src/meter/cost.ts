import type { CompiledRegion } from '../fleet/compiled.ts';
import type { TokenUsage } from './usage.ts';

/** How a request's cost was worked out. */
export type CostBasis =
  /** The region's per-token prices. */
  | 'tokens'
  /** The request's share of the GPUs it ran on, for the time it ran, at the region's GPU-hour price. */
  | 'gpu-time'
  /** Answered from the edge cache: nothing upstream ran. */
  | 'cache'
  /** The region sets no price. */
  | 'unpriced';

export interface Cost {
  usd: number;
  basis: CostBasis;
  /** The GPU-time share, whenever the region prices GPU-hours (for comparing with token prices). */
  gpuUsd?: number;
}

export interface CostInputs {
  usage: TokenUsage | undefined;
  /** GPUs one replica holds (the model's `gpusPerReplica`). */
  gpus: number | undefined;
  /** How long the upstream worked on the request. */
  busyMs: number;
  /** Requests the replica was serving at once (this one included): they share its GPUs. */
  concurrency: number;
}

const PER_MILLION = 1e-6;

/**
 * Per token when the region prices tokens (cached prompt tokens at their own price when given),
 * else by GPU-time share: gpuHourUsd × GPUs × busy hours ÷ requests sharing the replica.
 */
export function costOf(pricing: CompiledRegion['pricing'], x: CostInputs): Cost {
  const gpuUsd = pricing.gpuHourUsd !== undefined && pricing.gpuHourUsd > 0 ? (pricing.gpuHourUsd * (x.gpus ?? 1) * (x.busyMs / 3_600_000)) / Math.max(1, x.concurrency) : undefined;
  const u = x.usage;
  if (pricing.inputPerMillionTokensUsd > 0 || pricing.outputPerMillionTokensUsd > 0) {
    const cached = u ? Math.min(u.cached, u.input) : 0;
    const cachedPrice = pricing.cachedInputPerMillionTokensUsd ?? pricing.inputPerMillionTokensUsd;
    const usd = u ? ((u.input - cached) * pricing.inputPerMillionTokensUsd + cached * cachedPrice + u.output * pricing.outputPerMillionTokensUsd) * PER_MILLION : 0;
    return gpuUsd === undefined ? { usd, basis: 'tokens' } : { usd, basis: 'tokens', gpuUsd };
  }
  if (gpuUsd !== undefined) return { usd: gpuUsd, basis: 'gpu-time', gpuUsd };
  return { usd: 0, basis: 'unpriced' };
}
