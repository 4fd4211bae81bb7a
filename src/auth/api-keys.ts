// Client API keys, scoped per region or residency zone. A key is shown once, at creation;
// the store only ever holds its SHA-256 hash.
import { z } from 'zod';
import type { Store } from '../store/store.ts';
import { constantTimeEqual } from './constant-time.ts';
import { InvalidKeyRecordError, InvalidNewKeyError, UnknownKeyError } from './key-errors.ts';
import { generateKey, hashKey, isWellFormedKey, keyIdFor } from './key-material.ts';
import { KeyMemo } from './key-memo.ts';
import { describeIssues, keyRecordSchema, newKeySchema, type KeyRecord, type NewKey } from './key-record.ts';

export type { KeyRecord, NewKey } from './key-record.ts';
export { InvalidKeyRecordError, InvalidNewKeyError, UnknownKeyError } from './key-errors.ts';

/** One Redis hash: field = key hash (hex), value = the KeyRecord as JSON. */
export const KEYS_HASH = 'switchyard:keys';
export const DEFAULT_MEMO_TTL_MS = 30_000;
export const DEFAULT_MEMO_MAX_ENTRIES = 4096;

export interface ApiKeysOptions {
  /**
   * How long `verify` may answer from isolate memory without asking the store; 0 disables.
   * This is also how long a key revoked through another instance (another isolate, the CLI)
   * can keep working here. Revoking through this instance takes effect at once.
   */
  memoTtlMs?: number;
  memoMaxEntries?: number;
  now?: () => number;
  /**
   * SHA-256 hex of a key. Web Crypto by default; Node passes node:crypto's synchronous hash,
   * because Web Crypto there runs each digest as a thread-pool job (~40 µs a request).
   */
  hash?: (key: string) => string | Promise<string>;
}

export class ApiKeys {
  readonly #store: Store;
  readonly #memo: KeyMemo;
  readonly #now: () => number;
  readonly #hash: (key: string) => string | Promise<string>;

  constructor(store: Store, options: ApiKeysOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#hash = options.hash ?? hashKey;
    this.#memo = new KeyMemo(options.memoTtlMs ?? DEFAULT_MEMO_TTL_MS, options.memoMaxEntries ?? DEFAULT_MEMO_MAX_ENTRIES, this.#now);
  }

  /** Makes a key; the returned `key` is the only time the raw key exists outside the caller. */
  async create(input: NewKey): Promise<{ key: string; record: KeyRecord }> {
    const parsed = newKeySchema.safeParse(input);
    if (!parsed.success) throw new InvalidNewKeyError(describeIssues(parsed.error));
    // Ids come from the stored hashes (the field names): no record needs parsing here.
    const taken = new Set(Object.keys(await this.#store.hgetall(KEYS_HASH)).map(keyIdFor));
    for (;;) {
      const key = generateKey();
      const hash = await hashKey(key);
      const id = keyIdFor(hash);
      // Ids are 48 bits of the hash: a clash is all but impossible, but would make revoke ambiguous.
      if (taken.has(id)) continue;
      const { tenant, label, role, regions, residency } = parsed.data;
      const record: KeyRecord = {
        id,
        hash,
        tenant,
        label,
        ...(role === 'admin' ? { role } : {}),
        ...(regions === undefined ? {} : { regions }),
        ...(residency === undefined ? {} : { residency }),
        createdAt: new Date(this.#now()).toISOString(),
      };
      await this.#store.hset(KEYS_HASH, hash, JSON.stringify(record));
      return { key, record };
    }
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<KeyRecord[]> {
    const stored = await this.#store.hgetall(KEYS_HASH);
    return Object.entries(stored)
      .map(([field, json]) => {
        const record = parseStored(json);
        if (record === null) throw new InvalidKeyRecordError(`field ${field} of ${KEYS_HASH} does not validate`);
        return record;
      })
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Marks a key revoked (idempotent: a second revoke returns the first revocation). */
  async revoke(id: string): Promise<KeyRecord> {
    const record = (await this.list()).find((candidate) => candidate.id === id);
    if (record === undefined) throw new UnknownKeyError(id);
    if (record.revokedAt !== undefined) return record;
    const revoked: KeyRecord = { ...record, revokedAt: new Date(this.#now()).toISOString() };
    await this.#store.hset(KEYS_HASH, revoked.hash, JSON.stringify(revoked));
    this.#memo.set(revoked.hash, revoked);
    return revoked;
  }

  /** The record of a live key; null for anything else (missing, malformed, unknown, revoked). */
  async verify(presentedKey: string): Promise<KeyRecord | null> {
    if (typeof presentedKey !== 'string' || !isWellFormedKey(presentedKey)) return null;
    const hash = await this.#hash(presentedKey);
    let record = this.#memo.get(hash);
    if (record === undefined) {
      const stored = await this.#store.hget(KEYS_HASH, hash);
      // A record that does not validate is treated as absent: authentication fails closed.
      const parsed = stored === null ? null : parseStored(stored);
      if (parsed === null) return null;
      record = parsed;
      this.#memo.set(hash, record);
    }
    const encoder = new TextEncoder();
    if (!constantTimeEqual(encoder.encode(record.hash), encoder.encode(hash))) return null;
    return record.revokedAt === undefined ? record : null;
  }
}

/**
 * Loads key records (hashes only) into a store, e.g. the in-memory store of a gateway from
 * the SWITCHYARD_KEYS variable: `records` is that JSON text, or the already parsed array.
 * Everything is validated before anything is written.
 */
export async function seedKeys(store: Store, records: unknown): Promise<KeyRecord[]> {
  let value = records;
  if (typeof records === 'string') {
    try {
      value = JSON.parse(records);
    } catch {
      throw new InvalidKeyRecordError('key records are not valid JSON (expected an array of KeyRecords)');
    }
  }
  const parsed = z.array(keyRecordSchema).safeParse(value);
  if (!parsed.success) throw new InvalidKeyRecordError(describeIssues(parsed.error));
  for (const record of parsed.data) await store.hset(KEYS_HASH, record.hash, JSON.stringify(record));
  return parsed.data;
}

function parseStored(json: string): KeyRecord | null {
  try {
    const parsed = keyRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
