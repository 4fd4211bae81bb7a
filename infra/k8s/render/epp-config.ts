import type { JsonObject } from '../loose.ts';

/**
 * The llm-d endpoint picker's configuration (EndpointPickerConfig), inline in the
 * LLMInferenceService's router.scheduler.config. The reference's `router.scheduler` names a
 * strategy; these are the plugin sets, in the shape of llm-d-inference-scheduler's
 * deploy/config samples (epp-config.yaml, pd-epp-config.yaml). Weights 3/2/2 for prefix,
 * queue depth and KV-cache utilization are llm-d's published approximate-prefix setup.
 */
export const SCHEDULER_STRATEGIES = ['prefix-cache-aware', 'load-aware'] as const;
export type SchedulerStrategy = (typeof SCHEDULER_STRATEGIES)[number];

const ALIASES: Record<string, SchedulerStrategy> = {
  'prefix-cache-aware': 'prefix-cache-aware',
  'prefix-aware': 'prefix-cache-aware',
  'cache-aware': 'prefix-cache-aware',
  'prefix-cache': 'prefix-cache-aware',
  'load-aware': 'load-aware',
  'least-loaded': 'load-aware',
  'queue-depth': 'load-aware',
};

export function schedulerStrategy(name: string | undefined): { strategy: SchedulerStrategy; unknown?: string } {
  if (name === undefined) return { strategy: 'prefix-cache-aware' };
  const known = ALIASES[name.toLowerCase()];
  return known ? { strategy: known } : { strategy: 'prefix-cache-aware', unknown: name };
}

const scorers = (strategy: SchedulerStrategy): { type: string; weight: number }[] =>
  strategy === 'prefix-cache-aware'
    ? [
        { type: 'prefix-cache-scorer', weight: 3 },
        { type: 'queue-scorer', weight: 2 },
        { type: 'kv-cache-utilization-scorer', weight: 2 },
      ]
    : [
        { type: 'queue-scorer', weight: 1 },
        { type: 'kv-cache-utilization-scorer', weight: 1 },
      ];

export function endpointPickerConfig(strategy: SchedulerStrategy, disaggregated: boolean): JsonObject {
  const weighted = scorers(strategy);
  const profile = (name: string, filter: string) => ({
    name,
    plugins: [{ pluginRef: filter }, { pluginRef: 'max-score-picker' }, ...weighted.map((s) => ({ pluginRef: s.type, weight: s.weight }))],
  });
  const common = [...weighted.map((s) => ({ type: s.type })), { type: 'max-score-picker' }];
  if (!disaggregated) {
    return {
      apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
      kind: 'EndpointPickerConfig',
      plugins: [...common, { type: 'decode-filter' }, { type: 'single-profile-handler' }],
      schedulingProfiles: [profile('default', 'decode-filter')],
    };
  }
  return {
    apiVersion: 'inference.networking.x-k8s.io/v1alpha1',
    kind: 'EndpointPickerConfig',
    plugins: [
      { type: 'disagg-headers-handler' },
      ...common,
      { type: 'prefill-filter' },
      { type: 'decode-filter' },
      // Send a request to the prefill pool only when enough of its prompt is not cached on the decode pod.
      { type: 'prefix-based-pd-decider', parameters: { nonCachedTokens: 16 } },
      { type: 'disagg-profile-handler', parameters: { deciders: { prefill: 'prefix-based-pd-decider' } } },
    ],
    schedulingProfiles: [profile('prefill', 'prefill-filter'), profile('decode', 'decode-filter')],
  };
}
