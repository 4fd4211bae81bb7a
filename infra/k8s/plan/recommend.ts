import { DECISION_MATRIX } from './decision-matrix.ts';
import { PATTERN_IDS, type PatternId } from './patterns.ts';
import type { PlanInput } from './plan-input.ts';
import { disaggregatedReplicas, factsOf, sizeModel, type Facts, type Sizing } from './sizing.ts';
import { BATCH } from './throughput.ts';

export interface Recommendation {
  pattern: PatternId;
  /** Patterns layered on top, e.g. 5 + 3: tensor-parallel replicas in an auto-scaling pool. */
  combinedWith: PatternId[];
  reason: string;
  alternatives: { pattern: PatternId; whyNot: string }[];
  replicas: { min: number; max: number };
  /** Disaggregated only: pool sizes. */
  pools?: { prefill: number; decode: number };
  sizing: Sizing;
  facts: Facts;
  notes: string[];
}

/** A number for a sentence: 3 significant digits at most, no trailing zeros. */
const n1 = (x: number) => {
  const s = x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};
const gib = (x: number) => `${n1(x)} GiB`;

function layout(s: Sizing): string {
  if (!s.fit) return 'does not fit 8 nodes';
  const { tensorParallel: tp, pipelineParallel: pp, gpus } = s.fit;
  return pp > 1 ? `${gpus} GPUs (TP ${tp} × PP ${pp}, ${pp} nodes)` : `${gpus} GPU${gpus > 1 ? 's' : ''}${tp > 1 ? ` (TP ${tp})` : ''}`;
}

function reasonFor(pattern: PatternId, input: PlanInput, s: Sizing): string {
  const weights = `${n1(input.paramsB)}B at ${input.precision} = ${gib(s.weightsGiB)} of weights`;
  switch (pattern) {
    case 1:
      return `${weights} fit one ${input.gpu.memoryGiB} GiB GPU with room for ${s.fit?.kvTokens ?? 0} KV tokens; ${n1(input.rps)} rps is within one replica's ~${n1(s.replicaRps)} rps`;
    case 2:
      return `${weights} fit one GPU; steady ${n1(input.rps)} rps needs ${s.replicasNeeded} replicas at ~${n1(s.replicaRps)} rps each`;
    case 3:
      return `${weights} fit one GPU; ${input.traffic} traffic peaking at ${n1(input.rps)} rps (${s.replicasNeeded} replicas at peak): scale with load instead of paying for the peak all day`;
    case 4:
      return `${input.promptTokens}-token prompts take ~${n1(s.ttftMs)} ms to prefill, longer than the ${input.itlMs ?? '?'} ms ITL target: co-located decode steps would stall behind them. Split prefill (compute bound) from decode (bandwidth bound) and scale each pool on its own`;
    case 5:
      return s.fit
        ? `${weights} plus KV for ${s.kvTokensNeeded} tokens need ${layout(s)} of ${input.gpu.memoryGiB} GiB${s.fit.pipelineParallel > 1 ? `: more than one ${input.gpusPerNode}-GPU node, so a multi-node workerSpec` : ''}`
        : `${weights} do not fit even 8 nodes of ${input.gpusPerNode} × ${input.gpu.memoryGiB} GiB: quantize (--precision) or use larger GPUs`;
  }
}

function whyNot(pattern: PatternId, input: PlanInput, s: Sizing, f: Facts): string {
  switch (pattern) {
    case 1:
      if (!f.fitsOneGpu) return `the model needs ${layout(s)}`;
      if (f.atScale) return `${n1(input.rps)} rps needs ${s.replicasNeeded} replicas`;
      return 'no redundancy: one pod restart is an outage';
    case 2:
      if (f.variableTraffic) return `${input.traffic} traffic: fixed replicas either idle off-peak or queue at peak`;
      if (!f.atScale) return `one replica carries ${n1(input.rps)} rps (~${n1(s.replicaRps)} rps capacity); add a second only for availability`;
      return 'fits, but another pattern is required first';
    case 3:
      if (!f.variableTraffic) return 'steady traffic: autoscaling adds cold starts (minutes of model load) and saves nothing';
      return 'fits, but another pattern is required first';
    case 4:
      if (!f.longPrompts) return `prompts of ~${input.promptTokens} tokens prefill in ~${n1(s.ttftMs)} ms: little to gain from separate pools and a KV transfer path`;
      if (!f.latencyTargets) return 'no TTFT/ITL targets given: disaggregation buys latency, and costs a second pool and KV transfer (NIXL/RDMA)';
      if (!f.prefillStallsDecode) return `a prefill (~${n1(s.ttftMs)} ms) is within the ${input.itlMs ?? '?'} ms ITL target`;
      if (!f.atScale) return 'one replica carries the load: two pools would each run mostly idle';
      return 'applies; another row matched first';
    case 5:
      if (f.fitsOneGpu) return `fits one GPU with ${gib(s.fit?.kvGiBPerGpu ?? 0)} left for KV: tensor parallelism would add an all-reduce per layer for no capacity gain`;
      return 'applies inside each pool of the recommended pattern';
  }
}

function replicasOf(pattern: PatternId, input: PlanInput, s: Sizing): { min: number; max: number } {
  const n = s.replicasNeeded;
  if (pattern === 1) return { min: 1, max: 1 };
  if (input.traffic === 'steady') return { min: n, max: n };
  // One warm replica avoids scale-from-zero cold starts; bursts get 50 % headroom over the estimate.
  const max = Math.max(2, Math.ceil(n * (input.traffic === 'bursty' ? 1.5 : 1.25)));
  return { min: input.traffic === 'bursty' ? 1 : Math.max(1, Math.ceil(n / 4)), max };
}

/** Recommends a pattern for one model: the first matching row of the decision matrix, with the reason and why not the others. */
export function recommend(input: PlanInput): Recommendation {
  const sizing = sizeModel(input);
  const facts = factsOf(input, sizing);
  const row = DECISION_MATRIX.find((r) => r.when(facts));
  const pattern = row?.pattern ?? 1;
  const combinedWith: PatternId[] = [];
  if (pattern === 4 && !facts.fitsOneGpu) combinedWith.push(5);
  if (pattern === 4 || pattern === 5) {
    if (facts.variableTraffic) combinedWith.push(3);
    else if (facts.atScale) combinedWith.push(2);
  }
  const notes: string[] = [];
  if (!sizing.fit) notes.push('no layout up to 8 nodes fits: quantize or pick a larger GPU');
  if (input.ttftMs !== undefined && sizing.ttftMs > input.ttftMs) {
    notes.push(`estimated prefill ${n1(sizing.ttftMs)} ms already exceeds the ${input.ttftMs} ms TTFT target: more tensor parallelism or shorter prompts`);
  }
  if (input.itlMs !== undefined && sizing.itlMs > input.itlMs) {
    notes.push(`estimated ITL ${n1(sizing.itlMs)} ms exceeds the ${input.itlMs} ms target: more tensor parallelism (each rank streams less weight per step)`);
  }
  if (pattern === 3) notes.push(`scaleMetric concurrency, scaleTarget ~${Math.round(BATCH * 0.8)} in-flight requests per replica`);
  const pools = pattern === 4 ? disaggregatedReplicas(input, sizing) : undefined;
  return {
    pattern,
    combinedWith,
    reason: reasonFor(pattern, input, sizing),
    alternatives: PATTERN_IDS.filter((p) => p !== pattern).map((p) => ({ pattern: p, whyNot: whyNot(p, input, sizing, facts) })),
    // Disaggregated: the replica bounds are the decode pool's; the prefill pool is in `pools`.
    replicas: pools ? { min: pools.decode, max: pools.decode } : replicasOf(pattern, input, sizing),
    ...(pools ? { pools } : {}),
    sizing,
    facts,
    notes,
  };
}
