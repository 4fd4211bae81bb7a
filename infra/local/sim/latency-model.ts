// The llm-d inference simulator's latency model, as pure functions of a profile and the load.
// No clock is read and no timer is set here: callers pass `now` in, so the live simulator and
// a discrete-event simulation share the same numbers.

/** One simulated serving configuration: latencies plus the engine limits that shape them. */
export interface SimProfile {
  readonly name: string;
  /** Wait before each token after the first, at time factor 1. */
  readonly interTokenLatencyMs: number;
  /** Fixed part of the time to first token, at time factor 1. */
  readonly prefillOverheadMs: number;
  /** Prefill cost per uncached prompt token, at time factor 1. */
  readonly prefillTimePerTokenMs: number;
  /** F: how much slower every step is when `maxNumSeqs` requests run at once. */
  readonly timeFactorUnderLoad: number;
  /** vLLM `--max-num-seqs`: requests decoded concurrently. */
  readonly maxNumSeqs: number;
  /** Requests allowed to wait beyond `maxNumSeqs`; one more is answered 429. */
  readonly maxWaitingQueueLength: number;
  /** GPU KV cache size (vLLM `num_gpu_blocks`). */
  readonly kvCacheBlocks: number;
  /** Tokens per KV block (vLLM default 16). */
  readonly blockSize: number;
  /** vLLM `--max-model-len`: prompt plus completion tokens. */
  readonly maxModelLen: number;
}

export const PROFILES = {
  // Every latency 0: the simulator answers synchronously, for gateway overhead benchmarks.
  zero: {
    name: 'zero',
    interTokenLatencyMs: 0,
    prefillOverheadMs: 0,
    prefillTimePerTokenMs: 0,
    timeFactorUnderLoad: 1,
    maxNumSeqs: 256,
    maxWaitingQueueLength: 1000,
    kvCacheBlocks: 8192,
    blockSize: 16,
    maxModelLen: 131072,
  },
  // Llama 3.1 8B on one H100: the published reference numbers. 28,000 blocks ≈ 56 GB of bf16
  // KV at 128 KiB per token, what is left of 80 GB after weights at 0.9 memory utilisation.
  'h100-8b': {
    name: 'h100-8b',
    interTokenLatencyMs: 12,
    prefillOverheadMs: 30,
    prefillTimePerTokenMs: 0.25,
    timeFactorUnderLoad: 2,
    maxNumSeqs: 16,
    maxWaitingQueueLength: 1000,
    kvCacheBlocks: 28000,
    blockSize: 16,
    maxModelLen: 131072,
  },
  // Small but non-zero latencies, so tests exercise the timed path quickly.
  fast: {
    name: 'fast',
    interTokenLatencyMs: 2,
    prefillOverheadMs: 5,
    prefillTimePerTokenMs: 0.02,
    timeFactorUnderLoad: 2,
    maxNumSeqs: 8,
    maxWaitingQueueLength: 64,
    kvCacheBlocks: 2048,
    blockSize: 16,
    maxModelLen: 8192,
  },
} as const satisfies Record<string, SimProfile>;

export type ProfileName = keyof typeof PROFILES;

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name);
}

/** Problems with a profile given as an object (empty when it is usable). */
export function profileProblems(p: SimProfile): string[] {
  const problems: string[] = [];
  const nonNegative = ['interTokenLatencyMs', 'prefillOverheadMs', 'prefillTimePerTokenMs'] as const;
  for (const key of nonNegative) {
    if (!Number.isFinite(p[key]) || p[key] < 0) problems.push(`${key} must be a number >= 0`);
  }
  if (!Number.isFinite(p.timeFactorUnderLoad) || p.timeFactorUnderLoad < 1) {
    problems.push('timeFactorUnderLoad must be a number >= 1');
  }
  const positiveInts = ['maxNumSeqs', 'kvCacheBlocks', 'blockSize', 'maxModelLen'] as const;
  for (const key of positiveInts) {
    if (!Number.isInteger(p[key]) || p[key] < 1) problems.push(`${key} must be an integer >= 1`);
  }
  if (!Number.isInteger(p.maxWaitingQueueLength) || p.maxWaitingQueueLength < 0) {
    problems.push('maxWaitingQueueLength must be an integer >= 0');
  }
  return problems;
}

/** A profile by name, or a profile object after checking it; throws with the reason otherwise. */
export function resolveProfile(profile: ProfileName | SimProfile | string): SimProfile {
  if (typeof profile === 'string') {
    if (!isProfileName(profile)) {
      throw new Error(`unknown sim profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
    }
    return PROFILES[profile];
  }
  const problems = profileProblems(profile);
  if (problems.length > 0) throw new Error(`invalid sim profile "${profile.name}": ${problems.join('; ')}`);
  return profile;
}

/**
 * f = 1 + (F − 1)(n − 1)/(max_num_seqs − 1), with n clamped to [1, max_num_seqs]:
 * 1 for a lone request, F at full batch. A batch of one can never be loaded, so f = 1 there.
 */
export function timeFactor(p: SimProfile, running: number): number {
  if (p.maxNumSeqs <= 1) return 1;
  const n = Math.min(Math.max(running, 1), p.maxNumSeqs);
  return 1 + ((p.timeFactorUnderLoad - 1) * (n - 1)) / (p.maxNumSeqs - 1);
}

/** TTFT = f·prefill_overhead + (prompt − cached)·f·prefill_time_per_token. */
export function timeToFirstTokenMs(p: SimProfile, promptTokens: number, cachedTokens: number, running: number): number {
  const f = timeFactor(p, running);
  const uncached = Math.max(promptTokens - cachedTokens, 0);
  return f * p.prefillOverheadMs + uncached * f * p.prefillTimePerTokenMs;
}

/** Each token after the first waits f·inter_token_latency. */
export function interTokenLatencyMs(p: SimProfile, running: number): number {
  return timeFactor(p, running) * p.interTokenLatencyMs;
}

/** What one request looks like to the model at the moment a token is scheduled. */
export interface TokenStep {
  /** 0 for the first output token (prefill), then 1, 2, … */
  readonly index: number;
  readonly promptTokens: number;
  readonly cachedTokens: number;
  /** Requests running at this moment, this one included. */
  readonly running: number;
}

/** Wait before output token `step.index`: the TTFT for the first, the inter-token latency after. */
export function tokenDelayMs(p: SimProfile, step: TokenStep): number {
  return step.index === 0
    ? timeToFirstTokenMs(p, step.promptTokens, step.cachedTokens, step.running)
    : interTokenLatencyMs(p, step.running);
}

/** When output token `step.index` is due, given the time the previous one was (or the start). */
export function tokenDueAt(p: SimProfile, step: TokenStep, previousAtMs: number): number {
  return previousAtMs + tokenDelayMs(p, step);
}
