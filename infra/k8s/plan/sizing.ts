import { GIB, kvBytesPerToken, smallestFit, weightsBytes, type Fit } from './memory.ts';
import { LONG_PROMPT_TOKENS, type PlanInput } from './plan-input.ts';
import { BATCH, interTokenLatencyMs, LOAD_FACTOR, prefillMs, replicaRps, replicasFor } from './throughput.ts';

export interface Sizing {
  weightsGiB: number;
  kvKiBPerToken: number;
  /** KV tokens a replica must hold: one full --max-model-len sequence, or a full batch of typical ones. */
  kvTokensNeeded: number;
  /** Smallest layout that fits; undefined when nothing up to 8 nodes does. */
  fit: Fit | undefined;
  /** Estimated inter-token latency and time to first token on that layout. */
  itlMs: number;
  ttftMs: number;
  replicaRps: number;
  replicasNeeded: number;
}

/** Observations the decision matrix's rows test. */
export interface Facts {
  fitsOneGpu: boolean;
  multiNode: boolean;
  longPrompts: boolean;
  latencyTargets: boolean;
  /** A typical prefill takes longer than the ITL target: co-located decode steps stall behind it. */
  prefillStallsDecode: boolean;
  /** One replica is not enough for the peak rate. */
  atScale: boolean;
  /** Traffic that moves (variable), or is not known (any): what auto-scaling is for. */
  variableTraffic: boolean;
  highTraffic: boolean;
}

export function sizeModel(input: PlanInput): Sizing {
  const weights = weightsBytes(input.paramsB, input.precision);
  const kvPerToken = kvBytesPerToken(input.paramsB);
  const kvTokensNeeded = Math.max(input.maxModelLen, BATCH * (input.promptTokens + input.outputTokens));
  const fit = smallestFit(weights, kvPerToken, kvTokensNeeded, input.gpu.memoryGiB, input.gpusPerNode);
  const tp = fit?.tensorParallel ?? input.gpusPerNode;
  const itlMs = interTokenLatencyMs(weights, tp, input.gpu);
  const ttftMs = prefillMs(input.paramsB, input.promptTokens, tp, input.gpu);
  const perReplica = replicaRps(ttftMs, itlMs, input.outputTokens);
  return {
    weightsGiB: weights / GIB,
    kvKiBPerToken: kvPerToken / 1024,
    kvTokensNeeded,
    fit,
    itlMs,
    ttftMs,
    replicaRps: perReplica,
    replicasNeeded: replicasFor(input.rps, perReplica),
  };
}

export function factsOf(input: PlanInput, sizing: Sizing): Facts {
  return {
    fitsOneGpu: sizing.fit?.gpus === 1,
    multiNode: (sizing.fit?.pipelineParallel ?? 2) > 1,
    longPrompts: input.promptTokens >= LONG_PROMPT_TOKENS,
    latencyTargets: input.ttftMs !== undefined && input.itlMs !== undefined,
    prefillStallsDecode: input.itlMs !== undefined && sizing.ttftMs > input.itlMs,
    atScale: sizing.replicasNeeded > 1,
    variableTraffic: input.traffic === 'variable' || input.traffic === 'any',
    highTraffic: input.traffic === 'high',
  };
}

/** Decode replicas and prefill replicas for a disaggregated deployment of this size. */
export function disaggregatedReplicas(input: PlanInput, sizing: Sizing): { prefill: number; decode: number } {
  // Prefill runs roughly one prompt at a time at full compute: GPU-seconds of prefill per second.
  const prefill = Math.max(1, Math.ceil((input.rps * sizing.ttftMs) / 1000 / 0.8));
  const decodeRps = BATCH / ((input.outputTokens * sizing.itlMs * LOAD_FACTOR) / 1000);
  const decode = replicasFor(input.rps, decodeRps);
  return { prefill, decode };
}
