/**
 * The five cluster-side patterns of "Architecture Patterns for LLM Inference" and their
 * comparison table, as data. `switchyard infra plan --matrix` prints this table next to the
 * decision matrix (decision-matrix.ts).
 */
export const PATTERN_IDS = [1, 2, 3, 4, 5] as const;
export type PatternId = (typeof PATTERN_IDS)[number];

export interface Pattern {
  id: PatternId;
  name: string;
  /** What infra renders for it. */
  renders: string;
  complexity: string;
  scalability: string;
  costEfficiency: string;
  latency: string;
  faultTolerance: string;
  bestFor: string;
}

export const PATTERNS: Record<PatternId, Pattern> = {
  1: {
    id: 1,
    name: 'Single instance',
    renders: 'InferenceService, minReplicas = maxReplicas = 1',
    complexity: 'low',
    scalability: 'none',
    costEfficiency: 'high at low load',
    latency: 'good while unloaded',
    faultTolerance: 'none (single point of failure)',
    bestFor: 'development, prototypes, low steady traffic',
  },
  2: {
    id: 2,
    name: 'Replicated instances',
    renders: 'InferenceService, N fixed replicas behind the edge load balancer',
    complexity: 'low',
    scalability: 'horizontal, by hand',
    costEfficiency: 'medium (pays for peak all day)',
    latency: 'good; depends on load balancing',
    faultTolerance: 'high',
    bestFor: 'steady production traffic',
  },
  3: {
    id: 3,
    name: 'Auto-scaling pool',
    renders: 'InferenceService with min/max replicas, scaleTarget, scaleMetric, containerConcurrency',
    complexity: 'medium',
    scalability: 'elastic',
    costEfficiency: 'high',
    latency: 'cold-start spikes while scaling up (model load takes minutes)',
    faultTolerance: 'high',
    bestFor: 'variable or bursty traffic',
  },
  4: {
    id: 4,
    name: 'Disaggregated prefill/decode',
    renders: 'LLMInferenceService with prefill and decode pools, scheduler and InferencePool (llm-d)',
    complexity: 'high',
    scalability: 'per phase (prefill and decode scale apart)',
    costEfficiency: 'high at scale',
    latency: 'best TTFT and ITL under load',
    faultTolerance: 'medium (KV transfer path between pools)',
    bestFor: 'long prompts with tight TTFT and ITL targets at scale',
  },
  5: {
    id: 5,
    name: 'Tensor parallel',
    renders: 'tensor/pipeline parallel size, GPUs per replica, multi-node workerSpec beyond one node',
    complexity: 'medium to high',
    scalability: 'vertical (GPUs per replica), then replicas',
    costEfficiency: 'lower per token (interconnect overhead)',
    latency: 'lower ITL per request than fewer GPUs',
    faultTolerance: 'low (one GPU failure takes the replica down)',
    bestFor: 'models that do not fit one GPU',
  },
};

export const patternLabel = (id: PatternId): string => `${id} ${PATTERNS[id].name}`;
