import { matrixCell, type MatrixCell } from './decision-matrix.ts';
import { CLUSTER_PATTERN_IDS, PATTERNS, type PatternId } from './patterns.ts';
import type { PlanInput } from './plan-input.ts';
import { disaggregatedReplicas, factsOf, sizeModel, type Facts, type Sizing } from './sizing.ts';
import { BATCH } from './throughput.ts';

export interface Recommendation {
  /** The document's decision matrix, first: what it says for this size and traffic. */
  matrix: MatrixCell;
  pattern: PatternId;
  /** Patterns layered on top, e.g. 5 + 4: tensor-parallel pools, disaggregated; + 3: in an auto-scaling pool. */
  combinedWith: PatternId[];
  /** "The matrix says X; at bf16 this model needs N GPUs, so …". */
  reason: string;
  /** Where the memory fit, the traffic or the latency targets changed the matrix's answer, and why. */
  refinements: string[];
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
const name = (p: PatternId) => PATTERNS[p].name;
const joined = (ps: readonly PatternId[]) => ps.map((p) => `${p} ${name(p)}`).join(' + ');

function layout(s: Sizing): string {
  if (!s.fit) return 'more than 8 nodes';
  const { tensorParallel: tp, pipelineParallel: pp, gpus } = s.fit;
  return pp > 1 ? `${gpus} GPUs (TP ${tp} × PP ${pp}, ${pp} nodes)` : `${gpus} GPU${gpus > 1 ? 's' : ''}${tp > 1 ? ` (TP ${tp})` : ''}`;
}

function memorySentence(input: PlanInput, s: Sizing): string {
  const what = `at ${input.precision} this ${n1(input.paramsB)}B model is ${gib(s.weightsGiB)} of weights plus KV for ${s.kvTokensNeeded} tokens`;
  return s.fit ? `${what}: it needs ${layout(s)} of ${input.gpu.memoryGiB} GiB` : `${what}: it does not fit even 8 nodes of ${input.gpusPerNode} × ${input.gpu.memoryGiB} GiB`;
}

function whyNot(pattern: PatternId, input: PlanInput, s: Sizing, f: Facts): string {
  switch (pattern) {
    case 1:
      if (!f.fitsOneGpu) return `the model needs ${layout(s)}`;
      if (f.atScale) return `${n1(input.rps)} rps needs ${s.replicasNeeded} replicas`;
      return 'no redundancy: one pod restart is an outage (the reference lists it as an anti-pattern in production)';
    case 2:
      if (f.variableTraffic) return `${input.traffic} traffic: fixed replicas either idle off-peak or queue at peak (the reference's "fixed scaling" anti-pattern)`;
      if (!f.atScale) return `one replica carries ${n1(input.rps)} rps (~${n1(s.replicaRps)} rps capacity); add a second only for availability`;
      return 'fits, but the matrix names another pattern for this size and traffic';
    case 3:
      if (!f.variableTraffic) return `${input.traffic} traffic: autoscaling adds cold starts (minutes of model load) and saves little`;
      return 'fits, but the matrix names another pattern for this size and traffic';
    case 4:
      if (input.traffic === 'sporadic') return 'sporadic traffic: two pools and a KV transfer path would run mostly idle';
      if (!f.atScale && !f.highTraffic) return 'one replica carries the load: two pools would each run mostly idle';
      return 'the matrix reserves disaggregation for high traffic or models over 30B';
    case 5:
      if (f.fitsOneGpu) return `fits one GPU with ${gib(s.fit?.kvGiBPerGpu ?? 0)} left for KV: tensor parallelism would add an all-reduce per layer for no capacity gain`;
      return 'applies inside each replica of the recommended pattern';
    default:
      return 'an edge pattern, not a cluster layout';
  }
}

function replicasOf(patterns: readonly PatternId[], input: PlanInput, s: Sizing): { min: number; max: number } {
  const n = s.replicasNeeded;
  if (patterns[0] === 1) return { min: 1, max: 1 };
  if (input.traffic === 'steady' || input.traffic === 'high') return { min: Math.max(n, patterns.includes(2) ? 2 : 1), max: Math.max(n, patterns.includes(2) ? 2 : 1) };
  if (input.traffic === 'sporadic') return { min: 1, max: Math.max(1, n) };
  // Variable or unknown: one warm replica per four at peak avoids scale-from-zero cold starts; 25 % headroom over the estimate.
  return { min: Math.max(1, Math.ceil(n / 4)), max: Math.max(2, Math.ceil(n * 1.25)) };
}

/**
 * Recommends a pattern for one model: the decision matrix's cell for its size and traffic
 * first, then refined by what the memory math and the traffic say (a model that does not fit
 * one GPU gets tensor parallelism whatever the matrix cell; one that fits loses it; scaling is
 * layered on the matrix's pattern), each change explained.
 */
export function recommend(input: PlanInput): Recommendation {
  const matrix = matrixCell(input.paramsB, input.traffic);
  const sizing = sizeModel(input);
  const facts = factsOf(input, sizing);
  const refinements: string[] = [];
  let chosen: PatternId[] = [...matrix.patterns];

  if (!facts.fitsOneGpu && !chosen.includes(5)) {
    chosen = [...chosen, 5];
    refinements.push(`the model needs ${layout(sizing)}: each replica is tensor parallel (+ 5)`);
  } else if (facts.fitsOneGpu && chosen.includes(5)) {
    chosen = chosen.filter((p) => p !== 5);
    refinements.push(`it fits one ${input.gpu.memoryGiB} GiB GPU: tensor parallelism would only add an all-reduce per layer (5 dropped)`);
  }
  if (chosen.length === 0) chosen = [4];
  const first = chosen[0] as PatternId;
  // Scaling layered on a disaggregated or tensor-parallel layout, as the traffic asks.
  if (first === 4 || first === 5) {
    if (facts.variableTraffic && !chosen.includes(3)) {
      chosen.push(3);
      refinements.push(`${input.traffic} traffic: the pools scale between bounds (+ 3)`);
    } else if (facts.atScale && !chosen.includes(2) && !chosen.includes(4)) {
      chosen.push(2);
      refinements.push(`${n1(input.rps)} rps needs ${sizing.replicasNeeded} replicas (+ 2)`);
    }
  }
  // Beyond the matrix: long prompts with latency targets make prefill stall decode at any size.
  if (!chosen.includes(4) && facts.longPrompts && facts.latencyTargets && facts.prefillStallsDecode && facts.atScale) {
    chosen.push(4);
    refinements.push(`${input.promptTokens}-token prompts prefill in ~${n1(sizing.ttftMs)} ms, longer than the ${input.itlMs ?? '?'} ms ITL target: co-located decode steps would stall, so prefill and decode get their own pools (+ 4)`);
  }
  if (first === 1 && facts.atScale) refinements.push(`note: ${n1(input.rps)} rps is more than one replica carries (~${n1(sizing.replicaRps)} rps); the matrix's traffic class says sporadic`);

  const notes: string[] = [];
  if (!sizing.fit) notes.push('no layout up to 8 nodes fits: quantize (--precision) or pick a larger GPU');
  if (input.ttftMs !== undefined && sizing.ttftMs > input.ttftMs) {
    notes.push(`estimated prefill ${n1(sizing.ttftMs)} ms already exceeds the ${input.ttftMs} ms TTFT target: more tensor parallelism or shorter prompts`);
  }
  if (input.itlMs !== undefined && sizing.itlMs > input.itlMs) {
    notes.push(`estimated ITL ${n1(sizing.itlMs)} ms exceeds the ${input.itlMs} ms target: more tensor parallelism (each rank streams less weight per step)`);
  }
  if (chosen.includes(3)) notes.push(`scaleMetric concurrency, scaleTarget ~${Math.round(BATCH * 0.8)} in-flight requests per replica`);
  if (sizing.fit && sizing.fit.pipelineParallel > 1) notes.push(`more than one ${input.gpusPerNode}-GPU node per replica: a multi-node workerSpec`);

  const pattern = first;
  const combinedWith = chosen.slice(1);
  const pools = chosen.includes(4) ? disaggregatedReplicas(input, sizing) : undefined;
  const says = `the matrix says ${joined(matrix.patterns)} (${matrix.size}, ${input.traffic} traffic${matrix.source === 'comparison' ? `; ${matrix.why}` : ''})`;
  const conclusion = refinements.length > 0 ? `so ${joined(chosen)}: ${refinements.join('; ')}` : `so ${joined(chosen)} as the matrix says`;
  return {
    matrix,
    pattern,
    combinedWith,
    reason: `${says}; ${memorySentence(input, sizing)}, ${conclusion}`,
    refinements,
    alternatives: CLUSTER_PATTERN_IDS.filter((p) => !chosen.includes(p)).map((p) => ({ pattern: p, whyNot: whyNot(p, input, sizing, facts) })),
    // Disaggregated: the replica bounds are the decode pool's; the prefill pool is in `pools`.
    replicas: pools ? { min: pools.decode, max: pools.decode } : replicasOf(chosen, input, sizing),
    ...(pools ? { pools } : {}),
    sizing,
    facts,
    notes,
  };
}
