// `switchyard keys` and `switchyard tenants` beyond create/list/revoke: limits, budgets,
// models, expiry, update, rotate, tenant records; in the key file and through a running
// gateway's admin API (--gateway + SWITCHYARD_ADMIN_KEY).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodeGateway, type NodeGateway } from '../../../node/server.ts';
import { ApiKeys, type KeyRecord } from '../../../src/auth/api-keys.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { FileStore } from '../../../cli/file-store.ts';
import { switchyard } from '../../support/cli.ts';
import { localFleet } from '../core/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-admin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe('switchyard keys and tenants, in the key file', { timeout: 60_000 }, () => {
  const file = join(dir, 'keys.json');
  const store = ['--store-file', file];

  it('creates a key with limits, budgets, models, a role and an expiry; update changes only what a flag names', async () => {
    const created = await switchyard(['keys', 'create', '--tenant', 'acme', '--rpm', '60', '--tpm', '100000', '--daily-usd', '5', '--models', 'llama-3.1-8b', '--expires', '30d', '--json', ...store]);
    expect(created.code, created.stderr).toBe(0);
    const { record } = json<{ record: KeyRecord }>(created.stdout);
    expect(record).toMatchObject({ tenant: 'acme', limits: { rpm: 60, tpm: 100000 }, budgets: { daily: { usd: 5 } }, models: ['llama-3.1-8b'] });
    expect(Date.parse(record.expiresAt ?? '') - Date.now()).toBeGreaterThan(29 * 86_400_000);

    const updated = await switchyard(['keys', 'update', record.id, '--rpm', '120', '--concurrency', '4', '--models', 'none', '--monthly-tokens', '1000000', '--json', ...store]);
    expect(updated.code, updated.stderr).toBe(0);
    const after = json<KeyRecord>(updated.stdout);
    expect(after.limits).toEqual({ rpm: 120, tpm: 100000, concurrency: 4 });
    expect(after.budgets).toEqual({ daily: { usd: 5 }, monthly: { tokens: 1000000 } });
    expect(after).not.toHaveProperty('models');

    const cleared = await switchyard(['keys', 'update', record.id, '--rpm', 'none', '--tpm', 'none', '--concurrency', 'none', '--expires', 'none', '--json', ...store]);
    const last = json<KeyRecord>(cleared.stdout);
    expect(last).not.toHaveProperty('limits');
    expect(last).not.toHaveProperty('expiresAt');

    const admin = await switchyard(['keys', 'create', '--tenant', 'ops', '--role', 'admin', ...store]);
    expect(admin.stdout).toMatch(/Created key_[0-9a-f]{12} \(admin\) for tenant ops/);
    const table = await switchyard(['keys', 'list', '--tenant', 'acme', ...store]);
    expect(table.stdout).toMatch(new RegExp(`${record.id}\\s+acme\\s+\\s+all regions\\s+\\S+Z\\s+-\\s+client\\s+day=\\$5 month=1000000tok\\s+-`));
    expect(table.stdout).not.toContain('ops');
    expect(json<KeyRecord>((await switchyard(['keys', 'get', record.id, ...store])).stdout).id).toBe(record.id);
  });

  it('rotates a key: a new secret printed once, the old one valid for --grace', async () => {
    const created = json<{ key: string; record: KeyRecord }>((await switchyard(['keys', 'create', '--tenant', 'acme', '--json', ...store])).stdout);
    const rotated = await switchyard(['keys', 'rotate', created.record.id, '--grace', '2h', ...store]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const secrets = rotated.stdout.match(/sy-[A-Za-z0-9_-]{40}/g) ?? [];
    expect(secrets).toHaveLength(1);
    const until = /works until (\S+)\./.exec(rotated.stdout)?.[1] ?? '';
    expect(Date.parse(until) - Date.now()).toBeGreaterThan(7_000_000);
    const keys = new ApiKeys(new FileStore(file), { memoTtlMs: 0 });
    expect((await keys.verify(secrets[0] ?? ''))?.id).toBe(created.record.id);
    expect((await keys.verify(created.key))?.id).toBe(created.record.id);
    const hard = await switchyard(['keys', 'rotate', created.record.id, '--grace', '0', '--json', ...store]);
    const { key } = json<{ key: string }>(hard.stdout);
    expect(await keys.verify(secrets[0] ?? '')).toBeNull();
    // The first secret keeps its own grace period (2 h), now pointing at the newest secret.
    expect((await keys.verify(created.key))?.hash).not.toBe(created.record.hash);
    expect((await keys.verify(key))?.id).toBe(created.record.id);
  });

  it('sets, shows, lists and deletes tenant limits; flags not given keep their value', async () => {
    const set = await switchyard(['tenants', 'set', 'acme', '--rpm', '100', '--monthly-usd', '250', ...store]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Created tenant acme: rpm=100 month=$250');
    const more = await switchyard(['tenants', 'set', 'acme', '--concurrency', '8', '--json', ...store]);
    expect(json<{ limits: unknown; budgets: unknown }>(more.stdout)).toMatchObject({ limits: { rpm: 100, concurrency: 8 }, budgets: { monthly: { usd: 250 } } });
    expect((await switchyard(['tenants', 'list', ...store])).stdout).toMatch(/acme\s+rpm=100 concurrent=8 month=\$250/);
    expect(json<{ tenant: string }>((await switchyard(['tenants', 'get', 'acme', ...store])).stdout).tenant).toBe('acme');
    expect((await switchyard(['tenants', 'delete', 'acme', ...store])).code).toBe(0);
    const gone = await switchyard(['tenants', 'get', 'acme', ...store]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/tenant acme has no record/);
  });

  it('exits 2 with one line for bad values', async () => {
    const cases: [string[], RegExp][] = [
      [['keys', 'create', '--tenant', 'acme', '--rpm', '0'], /--rpm <n>.*a whole number above 0/],
      [['keys', 'create', '--tenant', 'acme', '--daily-usd', 'lots'], /an amount of dollars/],
      [['keys', 'create', '--tenant', 'acme', '--expires', 'yesterday'], /an ISO date-time/],
      [['keys', 'create', '--tenant', 'acme', '--expires', '2020-01-01T00:00:00Z'], /expiresAt: must be in the future/],
      [['keys', 'create', '--tenant', 'acme', '--role', 'root'], /client or admin/],
      [['keys', 'update', 'key_000000000000', '--rpm', '5'], /unknown key id/],
      [['keys', 'rotate', 'key_000000000000', '--grace', 'a week'], /a duration such as/],
      [['tenants', 'set', 'acme'], /nothing to change|Created/],
      [['keys', 'list', '--gateway', 'http://127.0.0.1:1'], /--gateway and --store-file exclude each other/],
    ];
    for (const [args, message] of cases) {
      const result = await switchyard([...args, ...store]);
      if (args[0] === 'tenants') {
        // A tenant without a record may be created empty; a second bare `set` has nothing to change.
        const again = await switchyard([...args, ...store]);
        expect(again.code).toBe(2);
        expect(again.stderr.trim()).toMatch(/nothing to change/);
        continue;
      }
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr.trim(), args.join(' ')).toMatch(message);
    }
  });
});

describe('switchyard keys and tenants, through a gateway (--gateway)', { timeout: 60_000 }, () => {
  let gateway: NodeGateway;
  let adminKey: string;
  let clientKey: string;
  const keyStore = new MemoryStore();
  beforeAll(async () => {
    const keys = new ApiKeys(keyStore, { memoTtlMs: 0 });
    adminKey = (await keys.create({ tenant: 'ops', role: 'admin' })).key;
    clientKey = (await keys.create({ tenant: 'acme' })).key;
    gateway = await startNodeGateway({ fleet: localFleet(), env: {}, keyStore, probeIntervalMs: 0 });
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const viaGateway = (args: string[], adminKeyValue = adminKey) => switchyard([...args, '--gateway', gateway.url], { SWITCHYARD_ADMIN_KEY: adminKeyValue });
  const models = (key: string) => fetch(`${gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });

  it('creates, lists, updates, rotates and revokes keys over the admin API, and the gateway applies it', async () => {
    const created = await viaGateway(['keys', 'create', '--tenant', 'acme', '--rpm', '5', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const { gateway: where, key, record } = json<{ gateway: string; key: string; record: KeyRecord }>(created.stdout);
    expect(where).toBe(gateway.url);
    expect(record).not.toHaveProperty('hash');
    expect(record).not.toHaveProperty('object');
    expect((await models(key)).headers.get('x-ratelimit-limit-requests')).toBe('5');

    const table = await viaGateway(['keys', 'list']);
    expect(table.stdout).toContain(`gateway: ${gateway.url}`);
    expect(table.stdout).toMatch(new RegExp(`${record.id}\\s+acme`));

    expect((await viaGateway(['keys', 'update', record.id, '--rpm', '7'])).code).toBe(0);
    expect((await models(key)).headers.get('x-ratelimit-limit-requests')).toBe('7');

    const rotated = json<{ key: string }>((await viaGateway(['keys', 'rotate', record.id, '--grace', '0', '--json'])).stdout);
    expect((await models(key)).status).toBe(401);
    expect((await models(rotated.key)).status).toBe(200);

    const revoked = await viaGateway(['keys', 'revoke', record.id]);
    expect(revoked.stdout).toContain(`Revoked ${record.id}`);
    expect((await models(rotated.key)).status).toBe(401);
  });

  it('sets tenant limits over the admin API', async () => {
    const set = await viaGateway(['tenants', 'set', 'acme', '--rpm', '1000']);
    expect(set.code, set.stderr).toBe(0);
    expect((await models(clientKey)).headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect((await viaGateway(['tenants', 'delete', 'acme'])).code).toBe(0);
    expect((await models(clientKey)).headers.get('x-ratelimit-limit-requests')).toBeNull();
  });

  it('says what is wrong: no admin key (2), a client key (2, 403), an unknown key id (2, 404), no gateway (1)', async () => {
    const missing = await switchyard(['keys', 'list', '--gateway', gateway.url]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/SWITCHYARD_ADMIN_KEY is not set/);
    const client = await viaGateway(['keys', 'list'], clientKey);
    expect(client.code).toBe(2);
    expect(client.stderr.trim()).toMatch(/^error: 403 admin_key_required: This endpoint needs an admin API key\.$/);
    const unknown = await viaGateway(['keys', 'revoke', 'key_000000000000']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/404 key_not_found/);
    const down = await switchyard(['keys', 'list', '--gateway', 'http://127.0.0.1:1'], { SWITCHYARD_ADMIN_KEY: adminKey });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:1/);
    // SWITCHYARD_GATEWAY_URL stands for --gateway.
    const byEnv = await switchyard(['keys', 'list'], { SWITCHYARD_GATEWAY_URL: gateway.url, SWITCHYARD_ADMIN_KEY: adminKey });
    expect(byEnv.stdout).toContain(`gateway: ${gateway.url}`);
  });
});
