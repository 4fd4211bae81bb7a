/** Time constant of the decay: after tau without a new peak, a spike has faded to 1/e. */
export const PEAK_EWMA_TAU_MS = 10_000;

export interface PeakEwma {
  /** The estimate, in ms. */
  readonly value: number;
  /** Epoch ms of the last sample. */
  readonly at: number;
}

/**
 * Peak-EWMA as in Finagle and Linkerd: a sample above the estimate replaces it at once (react
 * to a slowdown immediately), one below pulls it down by a time-weighted EWMA, so the estimate
 * recovers over ~tau whatever the request rate: value' = value·w + sample·(1 − w), w = e^(−Δt/τ).
 * Pure; the clock is passed in. A sample that is not a finite duration ≥ 0 is ignored.
 */
export function observePeakEwma(prev: PeakEwma | undefined, sampleMs: number, now: number, tauMs: number = PEAK_EWMA_TAU_MS): PeakEwma | undefined {
  if (!(sampleMs >= 0 && sampleMs < Infinity)) return prev;
  if (prev === undefined || sampleMs >= prev.value || !(tauMs > 0)) return { value: sampleMs, at: now };
  // A clock that stands still (or steps back) gives Δt = 0: weight 1, the estimate holds.
  const dt = now > prev.at ? now - prev.at : 0;
  const w = Math.exp(-dt / tauMs);
  return { value: prev.value * w + sampleMs * (1 - w), at: now > prev.at ? now : prev.at };
}
