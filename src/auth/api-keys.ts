// Client and admin API keys. A key is shown once, at creation (or rotation); the store only
// ever holds its SHA-256 hash.
import * as z from '../zod-mini.ts';
import type { Store } from '../store/store.ts';
import { constantTimeEqual } from './constant-time.ts';
import { InvalidKeyChangeError, InvalidKeyRecordError, InvalidNewKeyError, UnknownKeyError } from './key-errors.ts';
import { generateKey, hashKey, isWellFormedKey, keyIdFor } from './key-material.ts';
import { GuardedRead, StoreUnavailableError } from '../store/guarded-read.ts';
import { TtlMemo } from '../store/ttl-memo.ts';
import { KeyMemo } from './key-memo.ts';
import {
  describeIssues,
  keyAliasSchema,
  keyChangeSchema,
  keyRecordSchema,
  newKeySchema,
  type KeyAlias,
  type KeyChange,
  type KeyRecord,
  type NewKey,
} from './key-record.ts';
import { PolicyVersion } from './policy-version.ts';

export type { KeyChange, KeyRecord, NewKey } from './key-record.ts';
export { InvalidKeyChangeError, InvalidKeyRecordError, InvalidNewKeyError, UnknownKeyError } from './key-errors.ts';

/**
 * One Redis hash: field = key hash (hex), value = the KeyRecord as JSON, or, for a secret
 * rotated away and still in its grace period, a KeyAlias pointing at the current hash.
 */
export const KEYS_HASH = 'switchyard:keys';
/**
 * How long `verify` may answer from isolate memory without asking the store; 0 disables.
 * Changes made elsewhere reach this instance sooner, through the policy version (about 1 s);
 * this TTL is the bound when the store cannot be read.
 */
export const DEFAULT_MEMO_TTL_MS = 30_000;
export const DEFAULT_MEMO_MAX_ENTRIES = 4096;
/**
 * While the store cannot be read, a key this instance verified within this long is still
 * served from memory (stale-if-error) instead of 503. A revocation cannot be written to a store
 * that is down either; one written just before the outage reaches instances within about a
 * second (the policy version), before the memo's TTL runs out.
 */
export const DEFAULT_STALE_IF_ERROR_MS = 10 * 60_000;
/** A key lookup that takes longer is answered 503 (within the request's deadline, never past it). */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 1_000;
/** After a failed lookup, how long lookups fail at once (503 with Retry-After) before one tries again. */
export const DEFAULT_STORE_REST_MS = 1_000;
/** How long a key the store does not know is remembered as unknown, and how many are. */
export const DEFAULT_UNKNOWN_TTL_MS = 10_000;
export const DEFAULT_UNKNOWN_MAX_ENTRIES = 10_000;
/** How long a rotated-away secret keeps working unless the caller says otherwise. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 24 * 3600;
export const MAX_ROTATION_GRACE_SECONDS = 30 * 24 * 3600;

export interface ApiKeysOptions {
  memoTtlMs?: number;
  memoMaxEntries?: number;
  /** How long past the memo's TTL a verified key is still served while the store is down (0: not at all). */
  staleIfErrorMs?: number;
  /** Store lookups on the hot path: their timeout, and the rest after one fails (src/store/guarded-read.ts). */
  lookupTimeoutMs?: number;
  storeRestMs?: number;
  /** The negative cache: presented keys the store does not know (0 turns it off). */
  unknownTtlMs?: number;
  unknownMaxEntries?: number;
  now?: () => number;
  /**
   * SHA-256 hex of a key. Web Crypto by default; Node passes node:crypto's synchronous hash,
   * because Web Crypto there runs each digest as a thread-pool job (~40 µs a request).
   */
  hash?: (key: string) => string | Promise<string>;
  /** Shared with the tenant records (one stamp for both); by default one over the same store. */
  version?: PolicyVersion;
}

export interface Rotation {
  key: string;
  record: KeyRecord;
  /** Until when the previous secret still works (absent: it stopped at once). */
  previousValidUntil?: string;
}

type StoredEntry = { kind: 'record'; record: KeyRecord } | { kind: 'alias'; alias: KeyAlias };

export class ApiKeys {
  readonly #store: Store;
  readonly #memo: KeyMemo;
  /** Hashes the store said it does not know: a client retrying a wrong key costs no lookup each time. */
  readonly #unknown: TtlMemo<true>;
  readonly #guard: GuardedRead;
  readonly #now: () => number;
  readonly #hash: (key: string) => string | Promise<string>;
  readonly version: PolicyVersion;

  constructor(store: Store, options: ApiKeysOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#hash = options.hash ?? hashKey;
    this.#memo = new KeyMemo(options.memoTtlMs ?? DEFAULT_MEMO_TTL_MS, options.memoMaxEntries ?? DEFAULT_MEMO_MAX_ENTRIES, this.#now, options.staleIfErrorMs ?? DEFAULT_STALE_IF_ERROR_MS);
    this.#unknown = new TtlMemo(options.unknownTtlMs ?? DEFAULT_UNKNOWN_TTL_MS, options.unknownMaxEntries ?? DEFAULT_UNKNOWN_MAX_ENTRIES, this.#now);
    this.#guard = new GuardedRead({ timeoutMs: options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS, restMs: options.storeRestMs ?? DEFAULT_STORE_REST_MS, now: this.#now });
    this.version = options.version ?? new PolicyVersion(store, { now: this.#now });
    this.version.onChange(() => {
      this.#memo.clear();
      this.#unknown.clear();
    });
  }

  /** Makes a key; the returned `key` is the only time the raw key exists outside the caller. */
  async create(input: NewKey): Promise<{ key: string; record: KeyRecord }> {
    const parsed = newKeySchema.safeParse(input);
    if (!parsed.success) throw new InvalidNewKeyError(describeIssues(parsed.error));
    const now = this.#now();
    if (parsed.data.expiresAt !== undefined && Date.parse(parsed.data.expiresAt) <= now) {
      throw new InvalidNewKeyError('expiresAt: must be in the future');
    }
    const entries = await this.#entries();
    // A rotated key keeps its id under another hash: ids come from the records, not the fields.
    const taken = new Set([...Object.keys(entries).map(keyIdFor), ...Object.values(entries).map((e) => idOf(e))]);
    const { key, hash } = await this.#freshSecret(entries, taken);
    const { role, ...rest } = parsed.data;
    const record: KeyRecord = { id: keyIdFor(hash), hash, ...definedOnly(rest), ...(role === 'admin' ? { role } : {}), createdAt: iso(now) };
    await this.#store.hset(KEYS_HASH, hash, JSON.stringify(record));
    // Instances that were shown this secret before it existed remember it as unknown: the bump
    // makes them forget (within a policy check, about a second).
    await this.version.bump();
    return { key, record };
  }

  /** Every key, revoked and expired ones included, oldest first. */
  async list(filter: { tenant?: string } = {}): Promise<KeyRecord[]> {
    return Object.values(await this.#entries())
      .flatMap((entry) => (entry.kind === 'record' ? [entry.record] : []))
      .filter((record) => filter.tenant === undefined || record.tenant === filter.tenant)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** One key by id. */
  async get(id: string): Promise<KeyRecord> {
    return (await this.#find(id)).record;
  }

  /** Changes limits, budgets, models, scope, expiry, label or role; the secret stays. */
  async update(id: string, change: KeyChange): Promise<KeyRecord> {
    const parsed = keyChangeSchema.safeParse(change);
    if (!parsed.success) throw new InvalidKeyChangeError(describeIssues(parsed.error));
    const { record } = await this.#find(id);
    if (record.revokedAt !== undefined) throw new InvalidKeyChangeError(`${id} is revoked`);
    const now = this.#now();
    if (typeof parsed.data.expiresAt === 'string' && Date.parse(parsed.data.expiresAt) <= now) {
      throw new InvalidKeyChangeError('expiresAt: must be in the future');
    }
    const next: Record<string, unknown> = { ...record, updatedAt: iso(now) };
    for (const [field, value] of Object.entries(parsed.data)) {
      if (value === null) delete next[field];
      else if (value !== undefined) next[field] = value;
    }
    if (next['role'] === 'client') delete next['role'];
    const checked = keyRecordSchema.safeParse(next);
    if (!checked.success) throw new InvalidKeyChangeError(describeIssues(checked.error));
    await this.#store.hset(KEYS_HASH, record.hash, JSON.stringify(checked.data));
    await this.version.bump();
    return checked.data;
  }

  /** Marks a key revoked (idempotent: a second revoke returns the first revocation). */
  async revoke(id: string): Promise<KeyRecord> {
    const { record } = await this.#find(id);
    if (record.revokedAt !== undefined) return record;
    const at = iso(this.#now());
    const revoked: KeyRecord = { ...record, updatedAt: at, revokedAt: at };
    await this.#store.hset(KEYS_HASH, revoked.hash, JSON.stringify(revoked));
    await this.version.bump();
    return revoked;
  }

  /**
   * A new secret for the same key id (same tenant, limits, budgets, usage). The previous secret
   * keeps working for `graceSeconds` (0: it stops at once), so clients can be moved over.
   */
  async rotate(id: string, options: { graceSeconds?: number } = {}): Promise<Rotation> {
    const grace = options.graceSeconds ?? DEFAULT_ROTATION_GRACE_SECONDS;
    if (!Number.isInteger(grace) || grace < 0 || grace > MAX_ROTATION_GRACE_SECONDS) {
      throw new InvalidKeyChangeError(`graceSeconds: a whole number from 0 to ${MAX_ROTATION_GRACE_SECONDS} (30 days)`);
    }
    const { record, entries } = await this.#find(id);
    if (record.revokedAt !== undefined) throw new InvalidKeyChangeError(`${id} is revoked`);
    const now = this.#now();
    const { key, hash } = await this.#freshSecret(entries, new Set());
    const rotated: KeyRecord = { ...record, hash, rotatedAt: iso(now), updatedAt: iso(now) };
    const until = iso(now + grace * 1000);
    // New record first: at no moment is the key without a valid secret.
    await this.#store.hset(KEYS_HASH, hash, JSON.stringify(rotated));
    if (grace > 0) {
      await this.#store.hset(KEYS_HASH, record.hash, JSON.stringify({ id, hash: record.hash, aliasOf: hash, until } satisfies KeyAlias));
    } else {
      await this.#store.hdel(KEYS_HASH, record.hash);
    }
    // Secrets from earlier rotations still in their grace period follow to the new hash; spent ones go.
    for (const [field, entry] of Object.entries(entries)) {
      if (entry.kind !== 'alias' || entry.alias.id !== id) continue;
      if (Date.parse(entry.alias.until) <= now) await this.#store.hdel(KEYS_HASH, field);
      else await this.#store.hset(KEYS_HASH, field, JSON.stringify({ ...entry.alias, aliasOf: hash }));
    }
    await this.version.bump();
    return { key, record: rotated, ...(grace > 0 ? { previousValidUntil: until } : {}) };
  }

  /**
   * The record of a live key; null for anything else (missing, malformed, unknown, revoked,
   * expired). Throws StoreUnavailableError when the store must be asked and does not answer in
   * time, or is resting after it did not (the caller answers 503 with Retry-After), unless this
   * instance verified the key recently enough to serve it stale (`staleIfErrorMs`).
   */
  async verify(presentedKey: string): Promise<KeyRecord | null> {
    if (typeof presentedKey !== 'string' || !isWellFormedKey(presentedKey)) return null;
    const due = this.version.refresh();
    if (due !== undefined) await due;
    const hash = await this.#hash(presentedKey);
    const record = this.#memo.get(hash) ?? (await this.#fromStore(hash));
    if (record === null) return null;
    if (record.revokedAt !== undefined) return null;
    if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= this.#now()) return null;
    return record;
  }

  /** A hash the memo does not hold: from the store (remembered either way), or stale from memory while the store is down. */
  async #fromStore(hash: string): Promise<KeyRecord | null> {
    if (this.#unknown.get(hash) !== undefined) return null;
    let found: { record: KeyRecord; notAfter: number } | null;
    try {
      found = await this.#guard.run(() => this.#lookup(hash));
    } catch (error) {
      // A key verified here not long ago is served as it was (stale-if-error), not refused with 503.
      const stale = error instanceof StoreUnavailableError ? this.#memo.getStale(hash) : undefined;
      if (stale === undefined) throw error;
      return stale;
    }
    if (found === null) {
      this.#unknown.set(hash, true);
      return null;
    }
    this.#memo.set(hash, found.record, found.notAfter);
    return found.record;
  }

  /** The record a presented hash authenticates as, and until when (a grace period's end). */
  async #lookup(hash: string): Promise<{ record: KeyRecord; notAfter: number } | null> {
    // A record that does not validate is treated as absent: authentication fails closed.
    const entry = parseEntry(await this.#store.hget(KEYS_HASH, hash));
    if (entry === null || !sameHash(entry.kind === 'record' ? entry.record.hash : entry.alias.hash, hash)) return null;
    if (entry.kind === 'record') return { record: entry.record, notAfter: Number.POSITIVE_INFINITY };
    const until = Date.parse(entry.alias.until);
    if (until <= this.#now()) return null;
    const target = parseEntry(await this.#store.hget(KEYS_HASH, entry.alias.aliasOf));
    if (target?.kind !== 'record' || target.record.id !== entry.alias.id) return null;
    return { record: target.record, notAfter: until };
  }

  async #find(id: string): Promise<{ record: KeyRecord; entries: Record<string, StoredEntry> }> {
    const entries = await this.#entries();
    for (const entry of Object.values(entries)) {
      if (entry.kind === 'record' && entry.record.id === id) return { record: entry.record, entries };
    }
    throw new UnknownKeyError(id);
  }

  async #entries(): Promise<Record<string, StoredEntry>> {
    const stored = await this.#store.hgetall(KEYS_HASH);
    const entries: Record<string, StoredEntry> = {};
    for (const [field, json] of Object.entries(stored)) {
      const entry = parseEntry(json);
      if (entry === null) throw new InvalidKeyRecordError(`field ${field} of ${KEYS_HASH} does not validate`);
      entries[field] = entry;
    }
    return entries;
  }

  async #freshSecret(entries: Record<string, StoredEntry>, takenIds: ReadonlySet<string>): Promise<{ key: string; hash: string }> {
    for (;;) {
      const key = generateKey();
      const hash = await hashKey(key);
      // Ids are 48 bits of the hash: a clash is all but impossible, but would make ids ambiguous.
      if (entries[hash] === undefined && !takenIds.has(keyIdFor(hash))) return { key, hash };
    }
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

function parseEntry(json: string | null): StoredEntry | null {
  if (json === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const record = keyRecordSchema.safeParse(value);
  if (record.success) return { kind: 'record', record: record.data };
  const alias = keyAliasSchema.safeParse(value);
  return alias.success ? { kind: 'alias', alias: alias.data } : null;
}

const idOf = (entry: StoredEntry): string => (entry.kind === 'record' ? entry.record.id : entry.alias.id);

const encoder = new TextEncoder();
const sameHash = (stored: string, presented: string) => constantTimeEqual(encoder.encode(stored), encoder.encode(presented));

const iso = (ms: number) => new Date(ms).toISOString();

/** Drops keys whose value is undefined (the record is stored as JSON and compared in tests). */
function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
