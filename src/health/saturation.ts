import type { HealthSample } from '../route/endpoint-view.ts';

export interface SaturationOptions {
  /** Used when a 429 / queue-full answer carries no usable Retry-After. */
  defaultRetryAfterMs: number;
  /** A server cannot push an endpoint out of rotation for longer than this. */
  maxRetryAfterMs: number;
}

export const SATURATION_DEFAULTS: Readonly<SaturationOptions> = { defaultRetryAfterMs: 1_000, maxRetryAfterMs: 30_000 };

/**
 * Endpoints that answered 429 / queue full, and until when to spill over to others. One
 * entry per endpoint of the fleet (other ids are ignored), so memory stays bounded.
 */
export class SaturationMarks {
  readonly #options: SaturationOptions;
  readonly #until = new Map<string, number>();

  constructor(endpointIds: Iterable<string>, options: Partial<SaturationOptions> = {}) {
    this.#options = { ...SATURATION_DEFAULTS, ...options };
    for (const id of endpointIds) this.#until.set(id, 0);
  }

  /**
   * Marks the endpoint saturated for the answer's Retry-After (seconds or an HTTP date),
   * capped; a mark never shortens an earlier, longer one. Returns the epoch ms it lasts until.
   */
  mark(id: string, now: number, retryAfter?: string | null): number {
    const current = this.#until.get(id);
    if (current === undefined) return 0;
    const wait = Math.min(retryAfterMs(retryAfter, now) ?? this.#options.defaultRetryAfterMs, this.#options.maxRetryAfterMs);
    const until = Math.max(current, now + wait);
    this.#until.set(id, until);
    return until;
  }

  /** Epoch ms until which to avoid the endpoint; in the past (or 0) when it is not saturated. */
  saturatedUntil(id: string): number {
    return this.#until.get(id) ?? 0;
  }
}

/** Retry-After as milliseconds from `now`: delta-seconds or an HTTP date; undefined when unusable. */
export function retryAfterMs(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // Only a real date: Date.parse would also take "1" or "2026" as one.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface SaturationLimits {
  /** Saturated at this many queued requests (vllm:num_requests_waiting)... */
  maxWaiting: number;
  /** ...or at this KV-cache usage (0..1), where vLLM starts preempting. */
  maxKvCacheUsage: number;
}

export const DEFAULT_SATURATION_LIMITS: Readonly<SaturationLimits> = { maxWaiting: 8, maxKvCacheUsage: 0.98 };

/** From a probe's metrics; no sample or no metrics is not saturated (no data is not a verdict). */
export function isSaturated(sample: HealthSample | undefined, limits: SaturationLimits = DEFAULT_SATURATION_LIMITS): boolean {
  if (sample === undefined) return false;
  if (sample.waiting !== undefined && sample.waiting >= limits.maxWaiting) return true;
  return sample.kvCacheUsage !== undefined && sample.kvCacheUsage >= limits.maxKvCacheUsage;
}
