import { MemoryStore } from './memory-store.ts';
import type { Store } from './store.ts';
import { UpstashStore } from './upstash-store.ts';

export interface StoreEnv {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
}

/**
 * Upstash when both credentials are set, the embedded in-memory store when neither is.
 * Exactly one set is a configuration mistake: failing here beats silently running on a
 * per-isolate store that would not share keys, cache or limits with anything else.
 */
/** Upstash is half configured: one of its two variables is set without the other. */
export class StoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreConfigError';
  }
}

export function storeFromEnv(env: StoreEnv): Store {
  const url = env.UPSTASH_REDIS_REST_URL || undefined;
  const token = env.UPSTASH_REDIS_REST_TOKEN || undefined;
  if (url !== undefined && token !== undefined) return UpstashStore.connect({ url, token });
  if (url === undefined && token === undefined) return new MemoryStore();
  const missing = url === undefined ? 'UPSTASH_REDIS_REST_URL' : 'UPSTASH_REDIS_REST_TOKEN';
  throw new StoreConfigError(`${missing} is not set, but its Upstash counterpart is: set both, or neither for the in-memory store`);
}
