import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { StoreConfigError, storeFromEnv } from '../../../src/store/select-store.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';

describe('storeFromEnv', () => {
  it('embeds a MemoryStore when Upstash is not configured (empty strings count as unset)', () => {
    expect(storeFromEnv({})).toBeInstanceOf(MemoryStore);
    expect(storeFromEnv({ UPSTASH_REDIS_REST_URL: '', UPSTASH_REDIS_REST_TOKEN: '' }).kind).toBe('memory');
  });

  it('uses Upstash when both URL and token are set', () => {
    const store = storeFromEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 't' });
    expect(store).toBeInstanceOf(UpstashStore);
    expect(store.kind).toBe('upstash');
  });

  it('refuses half a configuration, naming the missing variable', () => {
    expect(() => storeFromEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1' })).toThrow(StoreConfigError);
    expect(() => storeFromEnv({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1' })).toThrow(/UPSTASH_REDIS_REST_TOKEN is not set/);
    expect(() => storeFromEnv({ UPSTASH_REDIS_REST_TOKEN: 't' })).toThrow(/UPSTASH_REDIS_REST_URL is not set/);
  });
});
