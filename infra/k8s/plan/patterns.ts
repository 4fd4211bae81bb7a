/**
 * The eight patterns of "Architecture Patterns for LLM Inference" and the document's Pattern
 * Comparison Matrix, as data: its columns verbatim (model size, traffic, latency, cost on the
 * $ scale, complexity), plus what Switchyard does for each. `switchyard infra plan --matrix`
 * prints it next to the decision matrix (decision-matrix.ts).
 */
export const PATTERN_IDS = [1, 2, 3, 4, 5, 6, 7, 8] as const;
export type PatternId = (typeof PATTERN_IDS)[number];

/** The patterns a cluster runs (infra renders them); 6-8 live at the edge, across clusters. */
export const CLUSTER_PATTERN_IDS = [1, 2, 3, 4, 5] as const satisfies readonly PatternId[];

export interface Pattern {
  id: PatternId;
  name: string;
  /** The comparison matrix's columns, as the document writes them. */
  modelSize: string;
  traffic: string;
  latency: string;
  cost: string;
  complexity: string;
  /** What Switchyard renders or does for it. */
  switchyard: string;
}

export const PATTERNS: Record<PatternId, Pattern> = {
  1: {
    id: 1,
    name: 'Single Instance',
    modelSize: '< 7B',
    traffic: 'Low',
    latency: 'Medium',
    cost: '$',
    complexity: 'Low',
    switchyard: 'InferenceService, minReplicas = maxReplicas = 1; the edge routes to it',
  },
  2: {
    id: 2,
    name: 'Replicated',
    modelSize: '< 13B',
    traffic: 'Medium',
    latency: 'Low',
    cost: '$$',
    complexity: 'Low',
    switchyard: 'InferenceService with N fixed replicas; the edge balances them (round robin, least connections, weighted, consistent hash)',
  },
  3: {
    id: 3,
    name: 'Auto-scaling',
    modelSize: '< 30B',
    traffic: 'Variable',
    latency: 'Low',
    cost: '$$$',
    complexity: 'Medium',
    switchyard: 'InferenceService with min/max replicas, scaleTarget, scaleMetric, containerConcurrency; the edge spills over a saturated pool',
  },
  4: {
    id: 4,
    name: 'Disaggregated',
    modelSize: 'Any',
    traffic: 'High',
    latency: 'Very Low',
    cost: '$$$',
    complexity: 'High',
    switchyard: 'LLMInferenceService with prefill and decode pools, KV transfer over NIXL, the llm-d scheduler and InferencePool',
  },
  5: {
    id: 5,
    name: 'Tensor Parallel',
    modelSize: '> 30B',
    traffic: 'Any',
    latency: 'Medium',
    cost: '$$$$',
    complexity: 'High',
    switchyard: 'tensor / pipeline parallel size, GPUs per replica = TP × PP, a multi-node workerSpec beyond one node',
  },
  6: {
    id: 6,
    name: 'Hybrid Multi-Tier',
    modelSize: 'Mixed',
    traffic: 'High',
    latency: 'Variable',
    cost: '$$$$',
    complexity: 'Very High',
    switchyard: 'the edge classifies each request and picks the edge / regional / central tier (Tier placement, tier rules)',
  },
  7: {
    id: 7,
    name: 'Federation',
    modelSize: 'Any',
    traffic: 'Global',
    latency: 'Low',
    cost: '$$$$$',
    complexity: 'Very High',
    switchyard: 'the edge keeps the global model registry and routes by geography, health, load, cost and residency, failing over across regions',
  },
  8: {
    id: 8,
    name: 'Caching-First',
    modelSize: 'Any',
    traffic: 'Repeated',
    latency: 'Very Low',
    cost: '$$',
    complexity: 'Medium',
    switchyard: 'edge response cache (isolate memory, colo Cache API, Redis), prefix-affinity routing, and the CachePolicy tiers in vLLM',
  },
};

export const patternLabel = (id: PatternId): string => `${id} ${PATTERNS[id].name}`;

/** The document's "Optimize for your use case" table. */
export const USE_CASES = {
  chatbot: { name: 'Chatbot', pattern: 3, optimization: 'Low latency' },
  batch: { name: 'Batch Processing', pattern: 2, optimization: 'High throughput' },
  realtime: { name: 'Real-time API', pattern: 4, optimization: 'Consistent latency' },
  research: { name: 'Research', pattern: 1, optimization: 'Cost efficiency' },
  enterprise: { name: 'Enterprise', pattern: 6, optimization: 'Flexibility' },
} as const satisfies Record<string, { name: string; pattern: PatternId; optimization: string }>;

export type UseCase = keyof typeof USE_CASES;
export const USE_CASE_NAMES = Object.keys(USE_CASES) as UseCase[];
