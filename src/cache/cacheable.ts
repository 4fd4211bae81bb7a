import type { EdgeCachePolicy } from './policy.ts';

/** Whether and how the cache takes part in one request. */
export type CacheDecision =
  | { readonly use: false; readonly reason: BypassReason }
  /** `lookup: false`: `Cache-Control: no-cache` — go upstream, then store the fresh answer. */
  | { readonly use: true; readonly lookup: boolean };

export type BypassReason = 'disabled' | 'nondeterministic' | 'no-store' | 'logprobs' | 'kv-transfer';

/**
 * Requests whose answer must not be cached at all:
 * - logprobs (chat `logprobs: true` / `top_logprobs`, text `logprobs: n`, vLLM `prompt_logprobs`):
 *   the per-token payloads are large, and callers asking for them are scoring or evaluating,
 *   where a replayed sample is the wrong answer;
 * - `kv_transfer_params`: a disaggregated prefill/decode hand-off, tied to one exchange.
 */
const bypassField = (request: Readonly<Record<string, unknown>>): BypassReason | undefined => {
  const { logprobs, top_logprobs, prompt_logprobs, kv_transfer_params } = request;
  if ((logprobs !== undefined && logprobs !== null && logprobs !== false) || (typeof top_logprobs === 'number' && top_logprobs > 0)) return 'logprobs';
  if (prompt_logprobs !== undefined && prompt_logprobs !== null) return 'logprobs';
  if (kv_transfer_params !== undefined && kv_transfer_params !== null) return 'kv-transfer';
  return undefined;
};

/** Deterministic by default means: greedy (temperature 0) or a fixed seed. */
const deterministic = (request: Readonly<Record<string, unknown>>): boolean =>
  request['temperature'] === 0 || (typeof request['seed'] === 'number' && Number.isInteger(request['seed']));

const directives = (header: string): Set<string> =>
  new Set(header.split(',').map((d) => d.trim().toLowerCase().split('=')[0] ?? ''));

/**
 * Cheapest checks first: most requests are sampled (no temperature 0, no seed) and leave at the
 * second line, before any header is parsed or anything hashed.
 */
export function decide(policy: EdgeCachePolicy, request: Readonly<Record<string, unknown>>, cacheControl: () => string | undefined): CacheDecision {
  if (!policy.enabled) return { use: false, reason: 'disabled' };
  if (!policy.cacheNonDeterministic && !deterministic(request)) return { use: false, reason: 'nondeterministic' };
  const header = cacheControl();
  const d = header === undefined ? undefined : directives(header);
  if (d?.has('no-store')) return { use: false, reason: 'no-store' };
  const field = bypassField(request);
  if (field !== undefined) return { use: false, reason: field };
  return { use: true, lookup: !d?.has('no-cache') };
}
