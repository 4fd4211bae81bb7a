import type { CompiledPrefixSharing } from '../../fleet/compiled.ts';
import { PREFIX_AFFINITY } from '../scorers/prefix-affinity.ts';
import { chatPrefix, completionPrefix, type PrefixInfo, type PromptMessage } from './prefix-info.ts';
import { DEFAULT_PREFIX_SHARING } from './settings.ts';

/** The parts of a parsed chat or completion request body that make up its prompt. */
export interface PromptBody {
  readonly messages?: readonly PromptMessage[] | undefined;
  readonly prompt?: unknown;
  readonly tools?: unknown;
  readonly cache_salt?: unknown;
}

/** What the producer reads of the compiled fleet (a CompiledFleet is one). */
export interface FleetPrefixView {
  readonly routing: { readonly weights: Readonly<Record<string, number>> };
  readonly prefixSharing?: Readonly<Record<string, CompiledPrefixSharing>> | undefined;
}

type CompletionPrompt = Parameters<typeof completionPrefix>[1];

const isPrompt = (p: unknown): p is CompletionPrompt =>
  typeof p === 'string' || (Array.isArray(p) && p.length > 0 && (typeof p[0] === 'string' || typeof p[0] === 'number' || Array.isArray(p[0])));

/**
 * The data producer for prefix-affinity routing, run once per request before planRoute. It
 * hashes only when the routing policy weights the prefix-affinity scorer (nobody else reads
 * the result) and the model's CachePolicy leaves prefix caching on; otherwise, and for
 * prompts shorter than the policy's `minLength`, it returns undefined (the scorer is neutral).
 */
export function requestPrefix(fleet: FleetPrefixView, modelId: string, body: PromptBody): PrefixInfo | undefined {
  if (!((fleet.routing.weights[PREFIX_AFFINITY] ?? 0) > 0)) return undefined;
  const sharing = fleet.prefixSharing?.[modelId] ?? DEFAULT_PREFIX_SHARING;
  if (!sharing.enabled) return undefined;
  const salt = typeof body.cache_salt === 'string' && body.cache_salt !== '' ? body.cache_salt : undefined;
  if (body.messages) return chatPrefix(modelId, body.messages, sharing, { tools: body.tools, salt });
  return isPrompt(body.prompt) ? completionPrefix(modelId, body.prompt, sharing, salt) : undefined;
}
