import type { Context } from 'hono';
import { answer, JSON_HEADERS, setAnswerHeader, SSE_HEADERS } from '../api/answer-headers.ts';
import type { Endpoint } from '../api/schemas.ts';
import type { AppEnv } from '../app-env.ts';
import { replaySse } from '../cache/replay.ts';
import type { CacheHit } from '../cache/tiered-cache.ts';
import type { Gateway } from '../gateway.ts';

export interface HitContext {
  kind: Endpoint;
  model: string;
  tier: string | undefined;
  tierReason: string | undefined;
  stream: boolean;
  includeUsage: boolean;
}

/**
 * Answers from a cache hit: JSON as stored, or the stored completion replayed as a well-formed
 * SSE stream. The region header names the region whose endpoint made the answer; `age` says
 * how long ago.
 */
export function cacheHitResponse(c: Context<AppEnv>, gw: Gateway, hit: CacheHit, h: HitContext): Response {
  const status = `hit-${hit.tier}`;
  setAnswerHeader(c, 'x-switchyard-cache', status);
  setAnswerHeader(c, 'x-switchyard-model', h.model);
  setAnswerHeader(c, 'x-switchyard-region', hit.entry.region);
  setAnswerHeader(c, 'age', String(Math.max(0, Math.floor((gw.now() - hit.entry.storedAt) / 1000))));
  if (h.tier) setAnswerHeader(c, 'x-switchyard-tier', h.tier);
  setAnswerHeader(c, 'x-switchyard-route', `${h.tierReason ? `${h.tierReason} ` : ''}cache=${hit.tier}`);
  const record = c.get('record');
  record.region = hit.entry.region;
  record.cache = status;
  // Metered as served: the replayed answer's tokens, at no upstream cost (src/meter/).
  record.answer = hit.entry.body;
  if (!h.stream) return answer(c, hit.entry.body, 200, JSON_HEADERS);
  record.firstBytesAt = gw.now();
  return answer(c, replaySse(hit.entry.body, h.kind, h.includeUsage), 200, SSE_HEADERS);
}
