import { Redis } from '@upstash/redis/cloudflare';
import { StoreConfigError, type StoreEnv } from '../store/select-store.ts';
import type { LimitCounters } from './counters.ts';
import { MemoryCounters } from './memory-counters.ts';
import { UpstashCounters, type RateSync } from './upstash-counters.ts';

export interface LimitsEnv extends StoreEnv {
  /** `deferred` (default) or `strict`: how rate checks reach Redis (src/limits/upstash-counters.ts). */
  SWITCHYARD_RATE_LIMIT_SYNC?: string;
}

/** Redis when Upstash is configured (every instance counts together), else this process's memory. */
export function limitCountersFromEnv(env: LimitsEnv): LimitCounters {
  const sync = env.SWITCHYARD_RATE_LIMIT_SYNC || 'deferred';
  if (sync !== 'deferred' && sync !== 'strict') {
    throw new StoreConfigError(`SWITCHYARD_RATE_LIMIT_SYNC must be deferred or strict, got ${JSON.stringify(sync)}`);
  }
  const url = env.UPSTASH_REDIS_REST_URL || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN || undefined;
  if (url === undefined || token === undefined) return new MemoryCounters();
  return new UpstashCounters({ redis: new Redis({ url, token, enableTelemetry: false }), token, sync: sync satisfies RateSync });
}
