import { costScorer, COST } from './scorers/cost.ts';
import { errorRateScorer, ERROR_RATE } from './scorers/error-rate.ts';
import { geoScorer, GEO } from './scorers/geo.ts';
import { kvCacheScorer, KV_CACHE } from './scorers/kv-cache.ts';
import { latencyScorer, LATENCY } from './scorers/latency.ts';
import { loadScorer, LOAD } from './scorers/load.ts';
import { prefixAffinityScorer, PREFIX_AFFINITY } from './scorers/prefix-affinity.ts';
import { sessionAffinityScorer, SESSION_AFFINITY } from './scorers/session-affinity.ts';
import type { Scorer } from './types.ts';

/**
 * Every scorer the routing policy may weight, by its kebab-case type. One static map,
 * checked at compile time: adding a policy means adding a scorer file and a line here.
 */
export const SCORERS = {
  [GEO]: geoScorer,
  [COST]: costScorer,
  [LOAD]: loadScorer,
  [KV_CACHE]: kvCacheScorer,
  [LATENCY]: latencyScorer,
  [SESSION_AFFINITY]: sessionAffinityScorer,
  [PREFIX_AFFINITY]: prefixAffinityScorer,
  [ERROR_RATE]: errorRateScorer,
} satisfies Record<string, () => Scorer>;

export type ScorerType = keyof typeof SCORERS;

export const isScorerType = (type: string): type is ScorerType => Object.hasOwn(SCORERS, type);
