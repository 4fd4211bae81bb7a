// Where `switchyard keys` and `switchyard tenants` make their changes: a running gateway's
// admin API (--gateway URL, or SWITCHYARD_GATEWAY_URL, with SWITCHYARD_ADMIN_KEY), else the
// store itself: Upstash when UPSTASH_REDIS_REST_URL/TOKEN are set (and no --store-file is
// given), otherwise the local key file `switchyard serve` and the dev stack read.
import { Command, CommanderError, Option } from 'commander';
import { ApiKeys, InvalidKeyChangeError, InvalidNewKeyError, UnknownKeyError, type KeyChange, type NewKey } from '../src/auth/api-keys.ts';
import { StoreConfigError, storeFromEnv } from '../src/store/select-store.ts';
import type { Store } from '../src/store/store.ts';
import { InvalidTenantError, Tenants, UnknownTenantError, type TenantSettings } from '../src/tenants/tenants.ts';
import type { TenantRecord } from '../src/tenants/tenant-record.ts';
import { AdminApiError, AdminClient, type KeyView } from './admin-client.ts';
import { DEFAULT_STORE_FILE, FileStore } from './file-store.ts';

export interface TargetOptions {
  storeFile?: string;
  gateway?: string;
}

export interface Rotated {
  key: string;
  record: KeyView;
  previousValidUntil?: string;
}

/** The same operations, whether they go through a gateway or straight to the store. */
export interface AdminTarget {
  /** `store: file …`, `store: upstash …` or `gateway: …`: printed so nobody edits the wrong place. */
  readonly where: string;
  keys: {
    create(input: NewKey): Promise<{ key: string; record: KeyView }>;
    list(tenant?: string): Promise<KeyView[]>;
    get(id: string): Promise<KeyView>;
    update(id: string, change: KeyChange): Promise<KeyView>;
    revoke(id: string): Promise<KeyView>;
    rotate(id: string, graceSeconds?: number): Promise<Rotated>;
  };
  tenants: {
    list(): Promise<TenantRecord[]>;
    /** Null when the tenant has no record. */
    find(tenant: string): Promise<TenantRecord | null>;
    put(tenant: string, settings: TenantSettings): Promise<TenantRecord>;
    delete(tenant: string): Promise<TenantRecord>;
  };
}

export const ADMIN_KEY_VARIABLE = 'SWITCHYARD_ADMIN_KEY';
export const GATEWAY_VARIABLE = 'SWITCHYARD_GATEWAY_URL';

export function openTarget(options: TargetOptions): AdminTarget {
  const env = process.env;
  const gateway = options.gateway ?? (options.storeFile === undefined ? env[GATEWAY_VARIABLE] || undefined : undefined);
  if (gateway !== undefined) {
    if (options.storeFile !== undefined) throw new UsageError('--gateway and --store-file exclude each other: change keys through a gateway, or in a store');
    const adminKey = env[ADMIN_KEY_VARIABLE];
    if (!adminKey) throw new UsageError(`${ADMIN_KEY_VARIABLE} is not set: the gateway's admin API needs an admin key (see \`switchyard keys create --role admin\`)`);
    return gatewayTarget(new AdminClient(gateway, adminKey));
  }
  if (options.storeFile === undefined && (env.UPSTASH_REDIS_REST_URL || env.UPSTASH_REDIS_REST_TOKEN)) {
    return storeTarget(storeFromEnv(env), `store: upstash ${env.UPSTASH_REDIS_REST_URL ?? ''}`);
  }
  const file = new FileStore(options.storeFile ?? DEFAULT_STORE_FILE);
  return storeTarget(file, `store: file ${file.path}`);
}

function gatewayTarget(client: AdminClient): AdminTarget {
  return {
    where: `gateway: ${client.url}`,
    keys: {
      create: async (input) => {
        const { key, ...record } = await client.keys.create(input);
        return { key, record: withoutObject(record) };
      },
      list: async (tenant) => (await client.keys.list(tenant)).map(withoutObject),
      get: async (id) => withoutObject(await client.keys.get(id)),
      update: async (id, change) => withoutObject(await client.keys.update(id, change)),
      revoke: async (id) => withoutObject(await client.keys.revoke(id)),
      rotate: async (id, graceSeconds) => {
        const { key, previousValidUntil, ...record } = await client.keys.rotate(id, graceSeconds);
        return { key, record: withoutObject(record), ...(previousValidUntil === undefined ? {} : { previousValidUntil }) };
      },
    },
    tenants: {
      list: async () => (await client.tenants.list()).map(withoutObject),
      find: async (tenant) => {
        try {
          return withoutObject(await client.tenants.get(tenant));
        } catch (error) {
          if (error instanceof AdminApiError && error.status === 404) return null;
          throw error;
        }
      },
      put: async (tenant, settings) => withoutObject(await client.tenants.put(tenant, settings)),
      delete: async (tenant) => {
        const { deleted: _deleted, ...record } = (await client.tenants.delete(tenant)) as TenantRecord & { deleted?: boolean };
        return withoutObject(record);
      },
    },
  };
}

function storeTarget(store: Store, where: string): AdminTarget {
  // No memo: every CLI run reads the store afresh.
  const keys = new ApiKeys(store, { memoTtlMs: 0 });
  const tenants = new Tenants(store, { version: keys.version });
  return {
    where,
    keys: {
      create: (input) => keys.create(input),
      list: (tenant) => keys.list(tenant === undefined ? {} : { tenant }),
      get: (id) => keys.get(id),
      update: (id, change) => keys.update(id, change),
      revoke: (id) => keys.revoke(id),
      rotate: (id, graceSeconds) => keys.rotate(id, graceSeconds === undefined ? {} : { graceSeconds }),
    },
    tenants: {
      list: () => tenants.list(),
      find: async (tenant) => {
        try {
          return await tenants.get(tenant);
        } catch (error) {
          if (error instanceof UnknownTenantError) return null;
          throw error;
        }
      },
      put: async (tenant, settings) => (await tenants.put(tenant, settings)).record,
      delete: (tenant) => tenants.delete(tenant),
    },
  };
}

/** The API tags each object with its kind (`object`); the CLI prints records the same way in both modes. */
function withoutObject<T extends object>(value: T): Omit<T, 'object'> & T {
  const { object: _object, ...rest } = value as T & { object?: unknown };
  return rest as Omit<T, 'object'> & T;
}

/** A mistake in how the command was called (exit 2), as opposed to a failure of the store or gateway (exit 1). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function withTarget(command: Command): Command {
  return command
    .addOption(new Option('--store-file <path>', `local key file (default ${DEFAULT_STORE_FILE}; used instead of Upstash when given)`))
    .addOption(new Option('--gateway <url>', `a running gateway whose admin API makes the change (or ${GATEWAY_VARIABLE}); the admin key comes from ${ADMIN_KEY_VARIABLE}`));
}

/** Exit 1 for failures of the store or gateway; every usage mistake exits 2. */
const FAILURE = 'switchyard.failure';

/** Commander's own usage errors exit 1; make them, and ours, exit 2 with their one line. */
export function usageExits(command: Command): Command {
  return command.exitOverride((error: CommanderError) => {
    process.exit(error.code === FAILURE ? error.exitCode : error.exitCode === 0 ? 0 : 2);
  });
}

const USER_MISTAKES = [UsageError, UnknownKeyError, InvalidNewKeyError, InvalidKeyChangeError, StoreConfigError, UnknownTenantError, InvalidTenantError];

export async function run(command: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const mistake = USER_MISTAKES.some((kind) => error instanceof kind) || (error instanceof AdminApiError && error.status < 500);
    if (mistake) command.error(`error: ${message}`, { exitCode: 2 });
    command.error(`error: ${message}`, { exitCode: 1, code: FAILURE });
  }
}
