// `switchyard usage`: tokens, requests and cost from a running gateway's /v1/usage, as a table.
// An admin key (SWITCHYARD_ADMIN_KEY) sees every tenant and key; a client key
// (SWITCHYARD_API_KEY) sees its own usage.
import { Command, Option } from 'commander';
import { textTable } from '../infra/k8s/plan/text-table.ts';
import { GROUP_BY, type UsagePage } from '../src/observe/usage-report.ts';
import { AdminClient } from './admin-client.ts';
import { ADMIN_KEY_VARIABLE, GATEWAY_VARIABLE, run, UsageError, usageExits } from './admin-target.ts';

const API_KEY_VARIABLE = 'SWITCHYARD_API_KEY';
const BY_ALIASES: Record<string, (typeof GROUP_BY)[number]> = { tenant: 'tenant', key: 'key_id', key_id: 'key_id', model: 'model', region: 'region' };

interface UsageFlags {
  gateway?: string;
  since: string;
  until?: string;
  bucket: '1h' | '1d';
  by: string;
  perBucket?: boolean;
  tenant?: string;
  key?: string;
  model?: string;
  region?: string;
  json?: boolean;
}

/** `24h`, `7d`, `90m` before now, or an ISO date / epoch seconds: epoch seconds. */
export function parseWhen(value: string, now: number): number {
  const relative = /^(\d+)([mhd])$/.exec(value.trim());
  if (relative) return Math.floor((now - Number(relative[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd']) / 1000);
  if (/^\d{9,}$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError(`cannot read "${value}" as a time: give 24h, 7d, 90m, an ISO date or epoch seconds`);
  return Math.floor(at / 1000);
}

const usd = (n: number) => (n === 0 ? '0' : n < 0.01 ? n.toPrecision(3) : n.toFixed(4));

export function usageCommand(): Command {
  return usageExits(new Command('usage'))
    .description('Tokens, requests and cost per tenant / key / model / region, from a running gateway (/v1/usage)')
    .addOption(new Option('--gateway <url>', `the gateway (or ${GATEWAY_VARIABLE}); the key comes from ${ADMIN_KEY_VARIABLE} (everyone's usage) or ${API_KEY_VARIABLE} (that key's own)`))
    .option('--since <when>', 'start: 24h, 7d, 90m ago, an ISO date or epoch seconds', '7d')
    .option('--until <when>', 'end (default now)')
    .addOption(new Option('--bucket <width>', 'bucket width').choices(['1h', '1d']).default('1d'))
    .option('--by <groups>', 'group by, comma-separated: tenant, key, model, region', 'tenant,key,model')
    .option('--per-bucket', 'one block per hour or day instead of totals over the range')
    .option('--tenant <tenant>', 'only this tenant (admin key)')
    .option('--key <id>', 'only this key id (admin key)')
    .option('--model <id>', 'only this model')
    .option('--region <id>', 'only this region')
    .option('--json', 'print the API answer as JSON')
    .action(async function (this: Command) {
      const o = this.opts<UsageFlags>();
      await run(this, async () => {
        const gateway = o.gateway ?? process.env[GATEWAY_VARIABLE];
        if (!gateway) throw new UsageError(`give --gateway <url> or set ${GATEWAY_VARIABLE}`);
        const key = process.env[ADMIN_KEY_VARIABLE] || process.env[API_KEY_VARIABLE];
        if (!key) throw new UsageError(`set ${ADMIN_KEY_VARIABLE} (an admin key) or ${API_KEY_VARIABLE} (a client key)`);
        const groups = o.by.split(',').map((g) => g.trim()).filter((g) => g !== '');
        const unknown = groups.filter((g) => !(g in BY_ALIASES));
        if (unknown.length > 0) throw new UsageError(`--by: unknown ${unknown.join(', ')}; choose from tenant, key, model, region`);
        const now = Date.now();
        const params = new URLSearchParams({ start_time: String(parseWhen(o.since, now)), bucket_width: o.bucket, group_by: groups.map((g) => BY_ALIASES[g]).join(',') });
        if (o.until !== undefined) params.set('end_time', String(parseWhen(o.until, now)));
        for (const [flag, name] of [['tenant', 'tenant'], ['key', 'key_id'], ['model', 'model'], ['region', 'region']] as const) {
          const value = o[flag];
          if (value !== undefined) params.set(name, value);
        }
        const page = await new AdminClient(gateway, key).call<UsagePage>('GET', `/v1/usage?${params}`);
        if (o.json === true) return console.log(JSON.stringify(page, null, 2));
        console.log(renderUsage(page, o.perBucket === true));
      });
    });
}

/** The page as text: totals per group over the range (or per bucket), then the grand total. */
export function renderUsage(page: UsagePage, perBucket: boolean): string {
  const header = [...page.group_by, 'requests', 'errors', 'input tok', 'output tok', 'cached tok', 'cost usd'];
  const row = (r: UsagePage['data'][number]['results'][number]) => [
    ...page.group_by.map((g) => String(r[g] ?? '-')),
    String(r.requests),
    String(r.errors),
    String(r.input_tokens),
    String(r.output_tokens),
    String(r.cached_tokens),
    usd(r.cost_usd),
  ];
  const range = `${new Date(page.start_time * 1000).toISOString()} → ${new Date(page.end_time * 1000).toISOString()} (buckets of ${page.bucket_width})`;
  const blocks: string[] = [range];
  if (perBucket) {
    for (const b of page.data) blocks.push('', new Date(b.start_time * 1000).toISOString(), textTable(header, b.results.map(row)));
  } else {
    const merged = new Map<string, UsagePage['data'][number]['results'][number]>();
    for (const b of page.data) {
      for (const r of b.results) {
        const id = page.group_by.map((g) => r[g] ?? '-').join('|');
        const into = merged.get(id);
        if (!into) merged.set(id, { ...r });
        else for (const k of ['requests', 'errors', 'input_tokens', 'output_tokens', 'cached_tokens', 'cost_usd'] as const) into[k] += r[k];
      }
    }
    blocks.push('', merged.size === 0 ? 'no usage in this range' : textTable(header, [...merged.values()].sort((a, b) => b.requests - a.requests).map(row)));
  }
  const t = page.totals;
  blocks.push('', `total: ${t.requests} requests, ${t.errors} errors, ${t.input_tokens} input + ${t.output_tokens} output tokens (${t.cached_tokens} cached), $${usd(t.cost_usd)}`);
  return blocks.join('\n');
}
