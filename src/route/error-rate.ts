/** Time constant of the decay: an outcome weighs 1/e as much after tau. */
export const ERROR_RATE_TAU_MS = 5_000;

/**
 * Pseudo-successes added to the decayed count of outcomes: a lone failure on a quiet endpoint
 * reads as 1/(1 + 2), not 100 %, and with no new outcomes the rate falls to 0 as the counts
 * decay — no news is good news, so an endpoint that traffic left gets tried again.
 */
export const ERROR_RATE_PRIOR = 2;

/** Below this an endpoint's error rate is noise: the error-rate scorer treats it as none. */
export const ERROR_RATE_FLOOR = 0.02;

/** One endpoint's recent outcomes, each weighted by e^(−age/τ). Three numbers: bounded per endpoint. */
export interface DecayedOutcomes {
  readonly failures: number;
  readonly total: number;
  /** Epoch ms of the last outcome. */
  readonly at: number;
}

const decay = (since: number, now: number, tauMs: number) => (now > since ? Math.exp(-(now - since) / tauMs) : 1);

/**
 * Adds one outcome to the decayed counts. Weighted by time, not by count, so the estimate
 * forgets at the same pace whatever the request rate. Pure; the clock is passed in and may
 * stand still or step back (Δt = 0).
 */
export function observeOutcome(prev: DecayedOutcomes | undefined, failed: boolean, now: number, tauMs: number = ERROR_RATE_TAU_MS): DecayedOutcomes {
  const w = prev === undefined ? 0 : decay(prev.at, now, tauMs);
  return {
    failures: (prev?.failures ?? 0) * w + (failed ? 1 : 0),
    total: (prev?.total ?? 0) * w + 1,
    at: prev === undefined || now > prev.at ? now : prev.at,
  };
}

/** The share of recent outcomes that failed, at `now`, in [0, 1): decayed failures over decayed outcomes plus the prior. */
export function errorRateAt(outcomes: DecayedOutcomes | undefined, now: number, tauMs: number = ERROR_RATE_TAU_MS): number {
  if (outcomes === undefined || !(outcomes.failures > 0)) return 0;
  const w = decay(outcomes.at, now, tauMs);
  return (outcomes.failures * w) / (outcomes.total * w + ERROR_RATE_PRIOR);
}
