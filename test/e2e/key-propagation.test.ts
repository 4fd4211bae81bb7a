// A revocation and a limit change reach every running gateway within 2 s: two `switchyard
// serve` processes sharing real Redis (redis-server behind the REST bridge), changed through
// one gateway's admin API; and a single `serve` on the key file, changed with the CLI.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisBridge, startRedisServer, type RedisBridge, type RedisServer } from '../../infra/local/redis-bridge.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';
import { switchyard } from '../support/cli.ts';
import { startProcess, type Started } from '../support/processes.ts';

const FLEET = 'infra/fleet.local.yaml';
const DEADLINE_MS = 2_000;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-propagation-'));

/** How long until `url` answers the way `done` wants, polling every 20 ms (from the moment of the change). */
async function msUntil(url: string, key: string, done: (r: Response) => boolean, since: number): Promise<number> {
  for (;;) {
    const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    if (done(response)) return performance.now() - since;
    if (performance.now() - since > 10_000) throw new Error(`${url} did not pick up the change within 10 s (last status ${response.status})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Gateway = Started & { match: RegExpExecArray };

const serve = (env: Record<string, string>, extra: string[] = []): Promise<Gateway> =>
  startProcess(['cli/main.ts', 'serve', '--fleet', FLEET, '--port', '0', '--no-log', '--probe-interval', '0', ...extra], /switchyard gateway on (http:\/\/\S+)/, {
    env: { ...process.env, SWITCHYARD_KEYS: '', ...env },
  });

describe('two gateways sharing Redis', { timeout: 60_000 }, () => {
  let redis: RedisServer;
  let bridge: RedisBridge;
  let gateways: Gateway[] = [];
  let urls: string[] = [];
  let adminKey: string;

  beforeAll(async () => {
    redis = await startRedisServer();
    bridge = await startRedisBridge({ redisPort: redis.port, token: 'propagation' });
    const env = { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token };
    // The first admin key, made in the store (as `switchyard keys create --role admin` does).
    adminKey = (await new ApiKeys(UpstashStore.connect({ url: bridge.url, token: bridge.token })).create({ tenant: 'ops', role: 'admin' })).key;
    gateways = await Promise.all([serve(env), serve(env)]);
    urls = gateways.map((g) => g.match[1] ?? '');
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await bridge?.close();
    await redis?.close();
  });

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${urls[0]}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.status).toBeLessThan(300);
    return (await response.json()) as { id: string; key: string };
  };

  it('stops a revoked key on both within 2 s', async () => {
    const { id, key } = await admin('POST', '/admin/keys', { tenant: 'acme' });
    for (const url of urls) expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200); // both have it memoized
    const changed = performance.now();
    await admin('POST', `/admin/keys/${id}/revoke`);
    const ms = await Promise.all(urls.map((url) => msUntil(url, key, (r) => r.status === 401, changed)));
    for (const m of ms) expect(m).toBeLessThan(DEADLINE_MS);
  });

  it('applies a lowered rpm limit on both within 2 s', async () => {
    const { id, key } = await admin('POST', '/admin/keys', { tenant: 'acme', limits: { rpm: 1000 } });
    for (const url of urls) {
      const response = await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } });
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    }
    const changed = performance.now();
    await admin('PATCH', `/admin/keys/${id}`, { limits: { rpm: 1 } });
    // The key has used more than 1 request this minute: once the new limit is seen, it refuses.
    const ms = await Promise.all(urls.map((url) => msUntil(url, key, (r) => r.status === 429 && r.headers.get('x-ratelimit-limit-requests') === '1', changed)));
    for (const m of ms) expect(m).toBeLessThan(DEADLINE_MS);
  });

  it("applies a tenant's new limit on both within 2 s", async () => {
    const { key } = await admin('POST', '/admin/keys', { tenant: 'globex' });
    for (const url of urls) expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).headers.get('x-ratelimit-limit-requests')).toBeNull();
    const changed = performance.now();
    await admin('PUT', '/admin/tenants/globex', { limits: { rpm: 500 } });
    const ms = await Promise.all(urls.map((url) => msUntil(url, key, (r) => r.headers.get('x-ratelimit-limit-requests') === '500', changed)));
    for (const m of ms) expect(m).toBeLessThan(DEADLINE_MS);
  });
});

describe('switchyard serve on the key file', { timeout: 60_000 }, () => {
  let gateway: Gateway | undefined;
  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stops a key revoked with `switchyard keys revoke` within 2 s (it reads the file, not a copy made at start)', async () => {
    const file = join(dir, 'keys.json');
    const created = await switchyard(['keys', 'create', '--tenant', 'acme', '--json', '--store-file', file]);
    const { key, record } = JSON.parse(created.stdout) as { key: string; record: { id: string } };
    gateway = await serve({}, ['--keys-file', file]);
    expect(gateway.output.join('\n')).toContain(`key store the key file ${file} (read live`);
    const url = gateway.match[1] ?? '';
    // A key made after the gateway started works at once.
    const later = JSON.parse((await switchyard(['keys', 'create', '--tenant', 'acme', '--json', '--store-file', file])).stdout) as { key: string };
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${later.key}` } })).status).toBe(200);
    expect((await fetch(`${url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await switchyard(['keys', 'revoke', record.id, '--store-file', file])).code).toBe(0);
    // From the CLI's exit (writing the file is its last step), not its start: starting a Node
    // process takes seconds on a loaded machine, and that is not propagation.
    const changed = performance.now();
    expect(await msUntil(url, key, (r) => r.status === 401, changed)).toBeLessThan(DEADLINE_MS);
  });
});
