// Tenant records: limits and budgets every key of a tenant shares. They live in the same
// store as the keys (one Redis hash), change through the admin API or `switchyard tenants`,
// and reach every instance through the same policy version as key changes.
import { InvalidKeyRecordError } from '../auth/key-errors.ts';
import { tenantName } from '../auth/key-record.ts';
import { PolicyVersion } from '../auth/policy-version.ts';
import type { Store } from '../store/store.ts';
import { TtlMemo } from '../store/ttl-memo.ts';
import { LATE, within } from '../store/within.ts';
import { describeIssues, tenantRecordSchema, tenantSettingsSchema, type TenantRecord, type TenantSettings } from './tenant-record.ts';

export type { TenantRecord, TenantSettings } from './tenant-record.ts';

/** One Redis hash: field = tenant name, value = the TenantRecord as JSON. */
export const TENANTS_HASH = 'switchyard:tenants';
const MEMO_TTL_MS = 30_000;
const MEMO_MAX_ENTRIES = 4096;
const LOOKUP_TIMEOUT_MS = 1_000;
const FAILED_LOOKUP_MEMO_MS = 5_000;

export class UnknownTenantError extends Error {
  readonly tenant: string;
  constructor(tenant: string) {
    super(`unknown tenant: ${tenant}`);
    this.name = 'UnknownTenantError';
    this.tenant = tenant;
  }
}

export class InvalidTenantError extends Error {
  constructor(detail: string) {
    super(`invalid tenant settings: ${detail}`);
    this.name = 'InvalidTenantError';
  }
}

export interface TenantsOptions {
  /** The keys' version (one stamp for keys and tenants); by default one over the same store. */
  version?: PolicyVersion;
  now?: () => number;
  memoTtlMs?: number;
}

export class Tenants {
  readonly #store: Store;
  readonly #version: PolicyVersion;
  readonly #now: () => number;
  // Misses are remembered too: most tenants have no record, and asking per request would
  // put a store read on every request. A new record reaches the memo through the version.
  readonly #memo: TtlMemo<TenantRecord | null>;

  constructor(store: Store, options: TenantsOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? Date.now;
    this.#version = options.version ?? new PolicyVersion(store, { now: this.#now });
    this.#memo = new TtlMemo(options.memoTtlMs ?? MEMO_TTL_MS, MEMO_MAX_ENTRIES, this.#now);
    this.#version.onChange(() => this.#memo.clear());
  }

  /**
   * The tenant's record, or null when it has none; memoized (hot path). A store that fails or
   * takes over a second counts as "no record" for a few seconds: tenant caps fail open, like
   * the limiter's counters, rather than holding every request up.
   */
  async lookup(tenant: string): Promise<TenantRecord | null> {
    const due = this.#version.refresh();
    if (due !== undefined) await due;
    const memoized = this.#memo.get(tenant);
    if (memoized !== undefined) return memoized;
    // A record that does not validate caps nothing, but is named on the admin surface (`list`).
    const read = this.#store.hget(TENANTS_HASH, tenant).then((json) => {
      const record = parse(json);
      this.#memo.set(tenant, record);
      return record;
    });
    try {
      const answer = await within(read, LOOKUP_TIMEOUT_MS);
      if (answer !== LATE) return answer;
      throw new Error(`no answer from the store within ${LOOKUP_TIMEOUT_MS} ms`);
    } catch (error) {
      console.error(JSON.stringify({ event: 'tenant_lookup_failed', tenant, error: String(error), failOpen: true }));
      this.#memo.set(tenant, null, this.#now() + FAILED_LOOKUP_MEMO_MS);
      return null;
    }
  }

  /** One tenant's record, straight from the store. */
  async get(tenant: string): Promise<TenantRecord> {
    const record = parse(await this.#store.hget(TENANTS_HASH, tenant));
    if (record === null) throw new UnknownTenantError(tenant);
    return record;
  }

  async list(): Promise<TenantRecord[]> {
    const stored = await this.#store.hgetall(TENANTS_HASH);
    return Object.entries(stored)
      .map(([field, json]) => {
        const record = parse(json);
        if (record === null) throw new InvalidKeyRecordError(`field ${field} of ${TENANTS_HASH} does not validate`);
        return record;
      })
      .sort((a, b) => a.tenant.localeCompare(b.tenant));
  }

  /** Creates or replaces a tenant's settings (what is left out is removed). */
  async put(tenant: string, settings: TenantSettings): Promise<{ record: TenantRecord; created: boolean }> {
    const name = tenantName.safeParse(tenant);
    if (!name.success) throw new InvalidTenantError(`tenant: ${name.error.issues[0]?.message ?? 'invalid'}`);
    const parsed = tenantSettingsSchema.safeParse(settings);
    if (!parsed.success) throw new InvalidTenantError(describeIssues(parsed.error));
    const existing = parse(await this.#store.hget(TENANTS_HASH, tenant));
    const now = new Date(this.#now()).toISOString();
    const record: TenantRecord = { tenant, ...parsed.data, createdAt: existing?.createdAt ?? now, updatedAt: now };
    await this.#store.hset(TENANTS_HASH, tenant, JSON.stringify(record));
    await this.#version.bump();
    return { record, created: existing === null };
  }

  /** Removes a tenant's record: its keys keep only their own caps. */
  async delete(tenant: string): Promise<TenantRecord> {
    const record = await this.get(tenant);
    await this.#store.hdel(TENANTS_HASH, tenant);
    await this.#version.bump();
    return record;
  }
}

function parse(json: string | null): TenantRecord | null {
  if (json === null) return null;
  try {
    const parsed = tenantRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
