import { Redis } from '@upstash/redis/cloudflare';
import type { HashIncrements, SetOptions, Store } from './store.ts';
import { storeError } from './store-error.ts';
import { ttlMilliseconds } from './store-rules.ts';

export interface UpstashCredentials {
  url: string;
  token: string;
}

/**
 * The global store: Upstash Redis over its REST API. The `/cloudflare` entry of
 * @upstash/redis only needs `fetch`, so the same code runs in workerd and on Node.
 */
export class UpstashStore implements Store {
  readonly kind = 'upstash' as const;
  readonly #redis: Redis;
  readonly #secrets: readonly string[];

  /**
   * `redis` must be created with `automaticDeserialization: false` (see `connect`):
   * otherwise the client JSON-parses values, and a stored "42" would come back as a number.
   * `token`: the client's token, removed from any error it throws (see store-error.ts).
   */
  constructor(redis: Redis, token?: string) {
    this.#redis = redis;
    this.#secrets = token === undefined ? [] : [token];
  }

  /** One call to Redis; its failure rethrown as a StoreError a log may print. */
  async #call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storeError(error, this.#secrets);
    }
  }

  /** A client configured the way this store needs it. */
  static connect(credentials: UpstashCredentials): UpstashStore {
    return new UpstashStore(
      new Redis({
        url: credentials.url,
        token: credentials.token,
        automaticDeserialization: false,
        enableTelemetry: false,
      }),
      credentials.token,
    );
  }

  async get(key: string): Promise<string | null> {
    return nullableString(await this.#call(() => this.#redis.get<unknown>(key)), key);
  }

  async set(key: string, value: string, options?: SetOptions): Promise<void> {
    if (options?.ttlSeconds === undefined) {
      await this.#call(() => this.#redis.set(key, value));
    } else {
      const px = ttlMilliseconds(options.ttlSeconds);
      await this.#call(() => this.#redis.set(key, value, { px }));
    }
  }

  async del(key: string): Promise<void> {
    await this.#call(() => this.#redis.del(key));
  }

  async hget(key: string, field: string): Promise<string | null> {
    return nullableString(await this.#call(() => this.#redis.hget<unknown>(key, field)), key);
  }

  async hset(key: string, field: string, value: string): Promise<void> {
    await this.#call(() => this.#redis.hset(key, { [field]: value }));
  }

  async hdel(key: string, field: string): Promise<void> {
    await this.#call(() => this.#redis.hdel(key, field));
  }

  async incrementHashes(writes: readonly HashIncrements[]): Promise<void> {
    // One pipeline: the REST API's /pipeline, one HTTP request for every field and expiry.
    const pipeline = this.#redis.pipeline();
    let commands = 0;
    for (const { key, fields, ttlSeconds } of writes) {
      for (const field in fields) {
        pipeline.hincrbyfloat(key, field, fields[field] as number);
        commands++;
      }
      if (ttlSeconds !== undefined) pipeline.expire(key, Math.max(1, Math.ceil(ttlSeconds)));
    }
    if (commands > 0) await this.#call(() => pipeline.exec());
  }

  async hgetall(key: string): Promise<Record<string, string>> {
    return hashFromReply(key, await this.#call(() => this.#redis.hgetall(key)));
  }

  async hgetallMany(keys: readonly string[]): Promise<Record<string, string>[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const replies: unknown[] = await this.#call(() => pipeline.exec());
    return keys.map((key, i) => hashFromReply(key, replies[i]));
  }
}

/** Without automatic deserialization the client hands back Redis's flat [field, value, ...] reply untouched. */
function hashFromReply(key: string, reply: unknown): Record<string, string> {
  if (reply === null) return {};
  if (!Array.isArray(reply) || reply.length % 2 !== 0) throw unexpectedReply(key, reply);
  const record: Record<string, string> = {};
  for (let i = 0; i < reply.length; i += 2) {
    const field: unknown = reply[i];
    const value: unknown = reply[i + 1];
    if (typeof field !== 'string' || typeof value !== 'string') throw unexpectedReply(key, reply);
    record[field] = value;
  }
  return record;
}

function nullableString(reply: unknown, key: string): string | null {
  if (reply === null || typeof reply === 'string') return reply;
  throw unexpectedReply(key, reply);
}

function unexpectedReply(key: string, reply: unknown): Error {
  return new TypeError(
    `Upstash returned a ${Array.isArray(reply) ? 'array' : typeof reply} for ${JSON.stringify(key)}; ` +
      'UpstashStore needs a client created with automaticDeserialization: false',
  );
}
