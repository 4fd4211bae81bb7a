// `switchyard keys` end to end, as a child process of the real CLI entry: against a temp key
// file, and against real Redis through the REST bridge via the Upstash variables.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys, type KeyRecord } from '../../../src/auth/api-keys.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { FileStore } from '../../../cli/file-store.ts';
import { switchyard } from '../../support/cli.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-keys-cli-'));

const keys = (args: string[], env: Record<string, string> = {}) => switchyard(['keys', ...args], env);

let redis: RealRedis;
beforeAll(async () => {
  redis = await startRealRedis();
});
afterAll(async () => {
  await redis?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('switchyard keys, local key file', { timeout: 60_000 }, () => {
  const file = join(dir, 'nested', 'keys.json');
  const store = ['--store-file', file];

  it('creates, lists and revokes, printing the raw key exactly once', async () => {
    const created = await keys(['create', '--tenant', 'acme', '--label', 'laptop', '--regions', 'us-east,eu-west', ...store]);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`store: file ${file}`);
    const rawKeys = created.stdout.match(/sy-[A-Za-z0-9_-]{40}/g) ?? [];
    expect(rawKeys).toHaveLength(1);
    const key = rawKeys[0] ?? '';
    expect(readFileSync(file, 'utf8')).not.toContain(key.slice(3));

    const record = await new ApiKeys(new FileStore(file)).verify(key);
    expect(record).toMatchObject({ tenant: 'acme', label: 'laptop', regions: ['us-east', 'eu-west'] });
    const id = record?.id ?? '';
    expect(created.stdout).toContain(id);

    const scoped = await keys(['create', '--tenant', 'globex', '--residency', 'eu', '--json', ...store]);
    const json = JSON.parse(scoped.stdout) as { store: string; key: string; record: KeyRecord };
    expect(json.store).toBe(`file ${file}`);
    expect(json.record).toMatchObject({ tenant: 'globex', residency: ['eu'] });

    const table = await keys(['list', ...store]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+acme\\s+laptop\\s+regions=us-east,eu-west\\s+\\S+Z\\s+-`));
    expect(table.stdout).toMatch(/globex\s+residency=eu/);
    expect(table.stdout).not.toMatch(/sy-[A-Za-z0-9_-]{40}/);

    const revoked = await keys(['revoke', id, ...store]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${id}`);
    expect(await new ApiKeys(new FileStore(file)).verify(key)).toBeNull();

    const listed = await keys(['list', '--json', ...store]);
    const records = JSON.parse(listed.stdout) as KeyRecord[];
    expect(listed.stderr).toContain(`store: file ${file}`);
    expect(records.map((one) => [one.tenant, one.revokedAt === undefined])).toEqual([['acme', false], ['globex', true]]);
    // What the Node gateway and the dev stack seed from.
    expect(await new ApiKeys(new FileStore(file)).list()).toEqual(records);
  });

  it('exits 2 with one line for unknown ids and bad flags', async () => {
    const cases = [
      { args: ['revoke', 'key_000000000000', ...store], message: 'error: unknown key id: key_000000000000' },
      { args: ['create', ...store], message: "error: required option '--tenant <tenant>' not specified" },
      { args: ['create', '--tenant', 'bad tenant', ...store], message: /^error: invalid key: tenant: / },
      { args: ['create', '--tenant', 'acme', '--regions', 'a,,b', ...store], message: /^error: invalid key: regions\.1: / },
      { args: ['list', '--bogus', ...store], message: "error: unknown option '--bogus'" },
      { args: ['revoke', ...store], message: "error: missing required argument 'id'" },
    ];
    for (const { args, message } of cases) {
      const result = await keys(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr.trim()).toMatch(message);
    }
  });

  it('refuses half an Upstash configuration rather than falling back silently', async () => {
    const result = await keys(['list'], { UPSTASH_REDIS_REST_URL: redis.bridge.url });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toMatch(/^error: UPSTASH_REDIS_REST_TOKEN is not set/);
  });
});

describe('switchyard keys, Upstash through the bridge', { timeout: 60_000 }, () => {
  it('uses Upstash when UPSTASH_REDIS_REST_URL/TOKEN are set, and says so', async () => {
    const env = { UPSTASH_REDIS_REST_URL: redis.bridge.url, UPSTASH_REDIS_REST_TOKEN: redis.bridge.token };
    const created = await keys(['create', '--tenant', 'acme', '--residency', 'eu,us', '--json'], env);
    expect(created.code).toBe(0);
    const { store, key, record } = JSON.parse(created.stdout) as { store: string; key: string; record: KeyRecord };
    expect(store).toBe(`upstash ${redis.bridge.url}`);

    const upstash = UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token });
    expect(await new ApiKeys(upstash).verify(key)).toEqual(record);
    expect(await redis.command(['HGET', 'switchyard:keys', record.hash])).toBe(JSON.stringify(record));

    const table = await keys(['list'], env);
    expect(table.stdout).toContain(`store: upstash ${redis.bridge.url}`);
    expect(table.stdout).toMatch(new RegExp(`${record.id}\\s+acme\\s+residency=eu,us`));

    expect((await keys(['revoke', record.id], env)).code).toBe(0);
    expect(await new ApiKeys(upstash).verify(key)).toBeNull();
    expect((await keys(['revoke', 'key_ffffffffffff'], env)).code).toBe(2);
  });

  it('exits 1 with one line when the store cannot be reached', async () => {
    const result = await keys(['list'], { UPSTASH_REDIS_REST_URL: redis.bridge.url, UPSTASH_REDIS_REST_TOKEN: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^error: .*Unauthorized/);
  });
});
