import type { Context } from 'hono';
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
  c.header('x-switchyard-cache', status);
  c.header('x-switchyard-model', h.model);
  c.header('x-switchyard-region', hit.entry.region);
  c.header('age', String(Math.max(0, Math.floor((gw.now() - hit.entry.storedAt) / 1000))));
  if (h.tier) c.header('x-switchyard-tier', h.tier);
  c.header('x-switchyard-route', `${h.tierReason ? `${h.tierReason} ` : ''}cache=${hit.tier}`);
  const record = c.get('record');
  record.region = hit.entry.region;
  record.cache = status;
  // Metered as served: the replayed answer's tokens, at no upstream cost (src/meter/).
  record.answer = hit.entry.body;
  if (!h.stream) {
    c.header('content-type', 'application/json');
    return c.body(hit.entry.body, 200);
  }
  record.firstBytesAt = gw.now();
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache');
  return c.body(replaySse(hit.entry.body, h.kind, h.includeUsage), 200);
}
