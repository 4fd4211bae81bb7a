// `switchyard tenants set|get|list|delete`: limits and budgets every key of a tenant shares,
// through a running gateway's admin API (--gateway) or straight in the store.
import { Command } from 'commander';
import { textTable } from '../infra/k8s/plan/text-table.ts';
import type { TenantRecord } from '../src/tenants/tenant-record.ts';
import { openTarget, run, UsageError, usageExits, withTarget, type TargetOptions } from './admin-target.ts';
import { limitsOf } from './keys.ts';
import { applyLimitFlags, withLimitFlags, type LimitFlags } from './limit-flags.ts';

export function tenantsCommand(): Command {
  const tenants = usageExits(new Command('tenants').description('Limits and budgets shared by all keys of a tenant'));

  tenants.addCommand(
    usageExits(withLimitFlags(withTarget(new Command('set'))))
      .description('Set a tenant’s limits and budgets (flags not given keep their value; `none` removes one)')
      .argument('<tenant>', 'the tenant name keys carry')
      .option('--label <label>', 'free-form note')
      .option('--json', 'print the record as JSON')
      .action(async function (this: Command, tenant: string) {
        const options = this.opts<TargetOptions & LimitFlags & { label?: string; json?: boolean }>();
        await run(this, async () => {
          const target = openTarget(options);
          const current = await target.tenants.find(tenant);
          const changed = applyLimitFlags(options, current ?? {});
          if (changed.limits === undefined && changed.budgets === undefined && options.label === undefined && current !== null) {
            throw new UsageError('nothing to change: give at least one limit, budget or --label (see --help)');
          }
          const limits = changed.limits === undefined ? current?.limits : (changed.limits ?? undefined);
          const budgets = changed.budgets === undefined ? current?.budgets : (changed.budgets ?? undefined);
          const label = options.label ?? current?.label;
          const record = await target.tenants.put(tenant, {
            ...(label === undefined ? {} : { label }),
            ...(limits === undefined ? {} : { limits }),
            ...(budgets === undefined ? {} : { budgets }),
          });
          if (options.json === true) return console.log(JSON.stringify(record, null, 2));
          console.log(target.where);
          console.log(`${current === null ? 'Created' : 'Updated'} tenant ${record.tenant}: ${limitsOf(record)}; every gateway applies it within about a second.`);
        });
      }),
  );

  tenants.addCommand(
    usageExits(withTarget(new Command('get')))
      .description('Show a tenant’s record')
      .argument('<tenant>')
      .action(async function (this: Command, tenant: string) {
        const options = this.opts<TargetOptions>();
        await run(this, async () => {
          const target = openTarget(options);
          const record = await target.tenants.find(tenant);
          if (record === null) throw new UsageError(`tenant ${tenant} has no record (its keys have only their own limits)`);
          console.error(target.where);
          console.log(JSON.stringify(record, null, 2));
        });
      }),
  );

  tenants.addCommand(
    usageExits(withTarget(new Command('list')))
      .description('List tenant records')
      .option('--json', 'print the records as a JSON array')
      .action(async function (this: Command) {
        const options = this.opts<TargetOptions & { json?: boolean }>();
        await run(this, async () => {
          const target = openTarget(options);
          const records = await target.tenants.list();
          if (options.json === true) {
            console.error(target.where);
            return console.log(JSON.stringify(records, null, 2));
          }
          console.log(target.where);
          console.log(records.length === 0 ? '(no tenant records)' : table(records));
        });
      }),
  );

  tenants.addCommand(
    usageExits(withTarget(new Command('delete')))
      .description('Remove a tenant’s record: its keys keep only their own limits')
      .argument('<tenant>')
      .action(async function (this: Command, tenant: string) {
        const options = this.opts<TargetOptions>();
        await run(this, async () => {
          const target = openTarget(options);
          const record = await target.tenants.delete(tenant);
          console.log(target.where);
          console.log(`Deleted the record of tenant ${record.tenant}.`);
        });
      }),
  );

  return tenants;
}

function table(records: TenantRecord[]): string {
  return textTable(['TENANT', 'LABEL', 'LIMITS', 'UPDATED'], records.map((r) => [r.tenant, r.label ?? '', limitsOf(r), r.updatedAt]));
}
