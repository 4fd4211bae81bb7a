import type { Scorer } from '../types.ts';

export const KV_CACHE = 'kv-cache';

/** Free KV cache: 1 − vllm:kv_cache_usage_perc; an endpoint without metrics scores 1. */
export const kvCacheScorer = (): Scorer => ({
  type: KV_CACHE,
  category: 'distribution',
  score: (_request, candidates, state) => candidates.map((c) => 1 - (state.endpoint(c.endpoint.id).health?.kvCacheUsage ?? 0)),
});
