// `switchyard keys create|list|get|update|revoke|rotate`: API keys, through a running
// gateway's admin API (--gateway) or straight in the store (see admin-target.ts).
import { Command, InvalidArgumentError, Option } from 'commander';
import type { KeyChange, NewKey } from '../src/auth/api-keys.ts';
import { textTable } from '../infra/k8s/plan/text-table.ts';
import type { KeyView } from './admin-client.ts';
import { openTarget, run, UsageError, usageExits, withTarget, type TargetOptions } from './admin-target.ts';
import { applyLimitFlags, asChange, asInput, parseExpiry, parseSeconds, splitList, withLimitFlags, type LimitFlags, type Removable } from './limit-flags.ts';

interface KeyFlags extends TargetOptions, LimitFlags {
  label?: string;
  role?: 'client' | 'admin';
  regions?: Removable<string[]>;
  residency?: Removable<string[]>;
  models?: Removable<string[]>;
  expires?: Removable<string>;
  json?: boolean;
}

const role = (text: string) => {
  if (text !== 'client' && text !== 'admin') throw new InvalidArgumentError('client or admin');
  return text;
};

/** Scope, models, role, expiry and label flags (create and update); `none` clears one on update. */
function withKeyFlags(command: Command): Command {
  return withLimitFlags(
    command
      .option('--label <label>', 'free-form note shown by list')
      .addOption(new Option('--role <role>', 'client (the default) or admin (reaches /admin, /metrics, /dashboard)').argParser(role))
      .addOption(new Option('--regions <ids>', 'comma-separated region ids the key may be served from').argParser(splitList))
      .addOption(new Option('--residency <zones>', 'comma-separated residency zones the key may be served from').argParser(splitList))
      .addOption(new Option('--models <ids>', 'comma-separated model ids the key may use (default: all)').argParser(splitList))
      .addOption(new Option('--expires <when>', 'ISO date-time, or a duration from now (30d, 12h)').argParser(parseExpiry))
      .option('--json', 'print JSON'),
  );
}

export function keysCommand(): Command {
  const keys = usageExits(new Command('keys').description('Create, list, change, rotate and revoke API keys (stored as hashes only)'));

  keys.addCommand(
    usageExits(withKeyFlags(withTarget(new Command('create'))))
      .description('Create a key and print it, once')
      .requiredOption('--tenant <tenant>', 'tenant the key belongs to')
      .action(async function (this: Command) {
        const options = this.opts<KeyFlags & { tenant: string }>();
        await run(this, async () => {
          const target = openTarget(options);
          const { limits, budgets } = applyLimitFlags(options);
          const input: NewKey = {
            tenant: options.tenant,
            label: options.label ?? '',
            ...(options.role === 'admin' ? { role: 'admin' as const } : {}),
            ...asInput({ regions: options.regions, residency: options.residency, models: options.models, expiresAt: options.expires, limits, budgets }),
          };
          const { key, record } = await target.keys.create(input);
          if (options.json === true) {
            console.log(JSON.stringify({ [target.where.startsWith('gateway') ? 'gateway' : 'store']: target.where.replace(/^\w+: /, ''), key, record }, null, 2));
            return;
          }
          console.log(target.where);
          console.log(`Created ${record.id}${record.role === 'admin' ? ' (admin)' : ''} for tenant ${record.tenant}. The key is shown this once; only its hash is stored:`);
          console.log(key);
          console.log(JSON.stringify(record, null, 2));
        });
      }),
  );

  keys.addCommand(
    usageExits(withTarget(new Command('list')))
      .description('List keys (ids, never the keys themselves)')
      .option('--tenant <tenant>', 'only this tenant’s keys')
      .option('--json', 'print the records as a JSON array')
      .action(async function (this: Command) {
        const options = this.opts<TargetOptions & { tenant?: string; json?: boolean }>();
        await run(this, async () => {
          const target = openTarget(options);
          const records = await target.keys.list(options.tenant);
          if (options.json === true) {
            console.error(target.where);
            console.log(JSON.stringify(records, null, 2));
            return;
          }
          console.log(target.where);
          console.log(records.length === 0 ? '(no keys)' : table(records));
        });
      }),
  );

  keys.addCommand(
    usageExits(withTarget(new Command('get')))
      .description('Show one key’s record')
      .argument('<id>', 'the key id shown by create and list')
      .action(async function (this: Command, id: string) {
        const options = this.opts<TargetOptions>();
        await run(this, async () => {
          const target = openTarget(options);
          console.error(target.where);
          console.log(JSON.stringify(await target.keys.get(id), null, 2));
        });
      }),
  );

  keys.addCommand(
    usageExits(withKeyFlags(withTarget(new Command('update'))))
      .description('Change a key’s limits, budgets, models, scope, expiry, label or role (`none` removes a value); the secret stays')
      .argument('<id>', 'the key id')
      .action(async function (this: Command, id: string) {
        const options = this.opts<KeyFlags>();
        await run(this, async () => {
          const target = openTarget(options);
          const current = await target.keys.get(id);
          const change: KeyChange = {
            ...(options.label === undefined ? {} : { label: options.label }),
            ...(options.role === undefined ? {} : { role: options.role }),
            ...asChange({ regions: options.regions, residency: options.residency, models: options.models, expiresAt: options.expires }),
            ...applyLimitFlags(options, current),
          };
          if (Object.keys(change).length === 0) throw new UsageError('nothing to change: give at least one flag (see --help)');
          const record = await target.keys.update(id, change);
          if (options.json === true) return console.log(JSON.stringify(record, null, 2));
          console.log(target.where);
          console.log(`Updated ${record.id} (tenant ${record.tenant}); every gateway applies it within about a second.`);
          console.log(JSON.stringify(record, null, 2));
        });
      }),
  );

  keys.addCommand(
    usageExits(withTarget(new Command('revoke')))
      .description('Revoke a key by its id (key_...)')
      .argument('<id>', 'the key id shown by create and list')
      .action(async function (this: Command, id: string) {
        const options = this.opts<TargetOptions>();
        await run(this, async () => {
          const target = openTarget(options);
          const record = await target.keys.revoke(id);
          console.log(target.where);
          console.log(`Revoked ${record.id} (tenant ${record.tenant}) at ${record.revokedAt ?? ''}`);
        });
      }),
  );

  keys.addCommand(
    usageExits(withTarget(new Command('rotate')))
      .description('Give a key a new secret (same id, limits and usage); the old secret works for the grace period')
      .argument('<id>', 'the key id')
      .addOption(new Option('--grace <duration>', 'how long the old secret keeps working: seconds or 90s, 15m, 12h, 7d (default 24h; 0 = stop at once)').argParser(parseSeconds))
      .option('--json', 'print {key, record, previousValidUntil} as JSON')
      .action(async function (this: Command, id: string) {
        const options = this.opts<TargetOptions & { grace?: number; json?: boolean }>();
        await run(this, async () => {
          const target = openTarget(options);
          const rotation = await target.keys.rotate(id, options.grace);
          if (options.json === true) return console.log(JSON.stringify(rotation, null, 2));
          console.log(target.where);
          console.log(`Rotated ${rotation.record.id}. The new key is shown this once:`);
          console.log(rotation.key);
          console.log(rotation.previousValidUntil === undefined ? 'The previous key no longer works.' : `The previous key works until ${rotation.previousValidUntil}.`);
        });
      }),
  );

  return keys;
}

function table(records: KeyView[]): string {
  const header = ['ID', 'TENANT', 'LABEL', 'SCOPE', 'CREATED', 'REVOKED', 'ROLE', 'LIMITS', 'EXPIRES'];
  return textTable(
    header,
    records.map((record) => [
      record.id,
      record.tenant,
      record.label,
      scope(record),
      record.createdAt,
      record.revokedAt ?? '-',
      record.role ?? 'client',
      limitsOf(record),
      record.expiresAt ?? '-',
    ]),
  );
}

function scope(record: KeyView): string {
  const parts = [
    ...(record.regions === undefined ? [] : [`regions=${record.regions.join(',')}`]),
    ...(record.residency === undefined ? [] : [`residency=${record.residency.join(',')}`]),
    ...(record.models === undefined ? [] : [`models=${record.models.join(',')}`]),
  ];
  return parts.length === 0 ? 'all regions' : parts.join(' ');
}

/** `rpm=60 tpm=100000 day=1000000tok month=$250`. */
export function limitsOf(policy: Pick<KeyView, 'limits' | 'budgets'>): string {
  const { limits, budgets } = policy;
  const parts = [
    ...(limits?.rpm === undefined ? [] : [`rpm=${limits.rpm}`]),
    ...(limits?.tpm === undefined ? [] : [`tpm=${limits.tpm}`]),
    ...(limits?.concurrency === undefined ? [] : [`concurrent=${limits.concurrency}`]),
  ];
  for (const [period, name] of [['daily', 'day'], ['monthly', 'month']] as const) {
    const budget = budgets?.[period];
    if (budget?.tokens !== undefined) parts.push(`${name}=${budget.tokens}tok`);
    if (budget?.usd !== undefined) parts.push(`${name}=$${budget.usd}`);
  }
  return parts.length === 0 ? '-' : parts.join(' ');
}
