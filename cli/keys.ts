// `switchyard keys create|list|revoke`: client API keys. Upstash when
// UPSTASH_REDIS_REST_URL/TOKEN are set (and no --store-file is given), otherwise the local
// JSON file the Node gateway and the dev stack seed their in-memory store from.
import { Command, CommanderError, Option } from 'commander';
import { ApiKeys, InvalidNewKeyError, UnknownKeyError, type KeyRecord } from '../src/auth/api-keys.ts';
import { StoreConfigError, storeFromEnv } from '../src/store/select-store.ts';
import type { Store } from '../src/store/store.ts';
import { DEFAULT_STORE_FILE, FileStore } from './file-store.ts';

interface StoreOptions {
  storeFile?: string;
}

/** Exit 1 for failures of the store itself; every usage mistake exits 2. */
const FAILURE = 'switchyard.failure';

export function keysCommand(): Command {
  const keys = usageExits(new Command('keys').description('Create, list and revoke client API keys (stored as hashes only)'));

  keys.addCommand(
    usageExits(withStoreFile(new Command('create')))
      .description('Create a key and print it, once')
      .requiredOption('--tenant <tenant>', 'tenant the key belongs to')
      .option('--label <label>', 'free-form note shown by list', '')
      .option('--regions <ids>', 'comma-separated region ids the key may be served from')
      .option('--residency <zones>', 'comma-separated residency zones the key may be served from')
      .option('--json', 'print {store, key, record} as JSON')
      .action(async function (this: Command) {
        const options = this.opts<StoreOptions & { tenant: string; label: string; regions?: string; residency?: string; json?: boolean }>();
        await run(this, async () => {
          const { store, description } = openStore(options);
          const { key, record } = await new ApiKeys(store, { memoTtlMs: 0 }).create({
            tenant: options.tenant,
            label: options.label,
            ...(options.regions === undefined ? {} : { regions: list(options.regions) }),
            ...(options.residency === undefined ? {} : { residency: list(options.residency) }),
          });
          if (options.json === true) {
            console.log(JSON.stringify({ store: description, key, record }, null, 2));
            return;
          }
          console.log(`store: ${description}`);
          console.log(`Created ${record.id} for tenant ${record.tenant}. The key is shown this once; only its hash is stored:`);
          console.log(key);
          console.log(JSON.stringify(record, null, 2));
        });
      }),
  );

  keys.addCommand(
    usageExits(withStoreFile(new Command('list')))
      .description('List keys (ids, never the keys themselves)')
      .option('--json', 'print the records as a JSON array')
      .action(async function (this: Command) {
        const options = this.opts<StoreOptions & { json?: boolean }>();
        await run(this, async () => {
          const { store, description } = openStore(options);
          const records = await new ApiKeys(store, { memoTtlMs: 0 }).list();
          if (options.json === true) {
            console.error(`store: ${description}`);
            console.log(JSON.stringify(records, null, 2));
            return;
          }
          console.log(`store: ${description}`);
          console.log(records.length === 0 ? '(no keys)' : table(records));
        });
      }),
  );

  keys.addCommand(
    usageExits(withStoreFile(new Command('revoke')))
      .description('Revoke a key by its id (key_...)')
      .argument('<id>', 'the key id shown by create and list')
      .action(async function (this: Command, id: string) {
        const options = this.opts<StoreOptions>();
        await run(this, async () => {
          const { store, description } = openStore(options);
          const record = await new ApiKeys(store, { memoTtlMs: 0 }).revoke(id);
          console.log(`store: ${description}`);
          console.log(`Revoked ${record.id} (tenant ${record.tenant}) at ${record.revokedAt ?? ''}`);
        });
      }),
  );

  return keys;
}

function openStore(options: StoreOptions): { store: Store; description: string } {
  const env = process.env;
  if (options.storeFile === undefined && (env.UPSTASH_REDIS_REST_URL || env.UPSTASH_REDIS_REST_TOKEN)) {
    return { store: storeFromEnv(env), description: `upstash ${env.UPSTASH_REDIS_REST_URL ?? ''}` };
  }
  const store = new FileStore(options.storeFile ?? DEFAULT_STORE_FILE);
  return { store, description: `file ${store.path}` };
}

function withStoreFile(command: Command): Command {
  return command.addOption(
    new Option('--store-file <path>', `local key file (default ${DEFAULT_STORE_FILE}; used instead of Upstash when given)`),
  );
}

/** Commander's own usage errors exit 1; make them, and ours, exit 2 with their one line. */
function usageExits(command: Command): Command {
  return command.exitOverride((error: CommanderError) => {
    process.exit(error.code === FAILURE ? error.exitCode : error.exitCode === 0 ? 0 : 2);
  });
}

async function run(command: Command, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof UnknownKeyError || error instanceof InvalidNewKeyError || error instanceof StoreConfigError) {
      command.error(`error: ${message}`, { exitCode: 2 });
    }
    command.error(`error: ${message}`, { exitCode: 1, code: FAILURE });
  }
}

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim());
}

function table(records: KeyRecord[]): string {
  const header = ['ID', 'TENANT', 'LABEL', 'SCOPE', 'CREATED', 'REVOKED'];
  const rows = records.map((record) => [
    record.id,
    record.tenant,
    record.label,
    scope(record),
    record.createdAt,
    record.revokedAt ?? '-',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [header, ...rows]
    .map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
    .join('\n');
}

function scope(record: KeyRecord): string {
  const parts = [
    ...(record.regions === undefined ? [] : [`regions=${record.regions.join(',')}`]),
    ...(record.residency === undefined ? [] : [`residency=${record.residency.join(',')}`]),
  ];
  return parts.length === 0 ? 'all regions' : parts.join(' ');
}
