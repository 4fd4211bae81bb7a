// Limits inside workerd, over real Redis (redis-server behind the Upstash REST bridge):
// @upstash/ratelimit and the limiter's own scripts as the Worker runs them, then the whole
// Worker: the admin API, rpm refusals with OpenAI's headers, propagation between isolates.
import { Redis } from '@upstash/redis/cloudflare';
import { describe, expect, inject, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { PolicyVersion } from '../../src/auth/policy-version.ts';
import type { KeyRecord } from '../../src/auth/key-record.ts';
import { GatewayLimiter } from '../../src/limits/gateway-limiter.ts';
import { UpstashCounters, type RateSync } from '../../src/limits/upstash-counters.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';
import { createWorker, type Env } from '../../workers/gateway.ts';
import { dispatch, testEnv } from './dispatch.ts';

const fleet = inject('fleet');
const redis = inject('redis');
const worker = createWorker(fleet);
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

const redisClient = () => new Redis({ url: redis.url, token: redis.token, enableTelemetry: false });
const noTenants = { lookup: async () => null };

let serial = 0;
function keyWith(limits: KeyRecord['limits'], budgets?: KeyRecord['budgets']): KeyRecord {
  const hex = (++serial).toString(16).padStart(6, '0') + run.slice(-6).padStart(6, '0');
  return { id: `key_${hex.slice(-12)}`, hash: hex.padStart(64, 'b'), tenant: `t-${run}`, label: '', createdAt: '2026-01-01T00:00:00.000Z', rotatedAt: '2026-01-01T00:00:00.000Z', limits, ...(budgets ? { budgets } : {}) };
}

/** A limit window this test can finish in: wait out the last 3 s of the current minute. */
async function awayFromWindowEdge(): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < 3_000) await new Promise((r) => setTimeout(r, left + 50));
}

describe.each(['deferred', 'strict'] as RateSync[])('the limiter in workerd over Redis (%s)', (sync) => {
  const limiter = () => new GatewayLimiter({ counters: new UpstashCounters({ redis: redisClient(), sync }), tenants: noTenants, leaseMs: 60_000 });

  it('counts requests per minute and refuses the one over the limit, with headers and Retry-After', async () => {
    await awayFromWindowEdge();
    const l = limiter();
    const key = keyWith({ rpm: 2 });
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const first = await l.admit({ key, tokens: 1, waitUntil });
    await Promise.all(pending);
    expect(first.headers).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' });
    await l.admit({ key, tokens: 1, waitUntil });
    await Promise.all(pending);
    const refused = await l.admit({ key, tokens: 1, waitUntil }).catch((e: unknown) => e as { status: number; code: string; headers: Record<string, string> });
    expect(refused).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });
    expect(Number((refused as { headers: Record<string, string> }).headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('gives back unused estimated tokens, holds and frees concurrency slots, and charges budgets', async () => {
    await awayFromWindowEdge();
    const l = limiter();
    const key = keyWith({ tpm: 1000, concurrency: 1 }, { daily: { tokens: 500 } });
    const pending: Promise<unknown>[] = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const first = await l.admit({ key, tokens: 800, waitUntil });
    await expect(l.admit({ key, tokens: 10, waitUntil })).rejects.toMatchObject({ status: 429 }); // the slot is taken
    await first.settle({ tokens: 300, costUsd: 0 });
    await first.release();
    await Promise.all(pending);
    const second = await l.admit({ key, tokens: 500, waitUntil });
    // 800 - 500 given back + 10 counted for the refused request + 500 now.
    expect(Number(second.headers['x-ratelimit-remaining-tokens'])).toBeGreaterThanOrEqual(190);
    await second.settle({ tokens: 300, costUsd: 0 });
    await second.release();
    await expect(limiter().admit({ key, tokens: 1, waitUntil })).rejects.toMatchObject({ status: 429, code: 'insufficient_quota' });
  });
});

describe('the Worker over Redis: admin API, limits, propagation between isolates', () => {
  const redisEnv = (extra: Partial<Env> = {}): Env =>
    testEnv({ SWITCHYARD_KEYS: undefined, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token, ...extra });

  async function call(env: Env, method: string, path: string, key: string, body?: unknown): Promise<Response> {
    const request = new Request(`https://gateway.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const { response, settled } = await dispatch(worker, request, env);
    const copy = new Response(await response.arrayBuffer(), response);
    await settled();
    return copy;
  }

  it('creates a key with an rpm limit over /admin/keys, refuses its third request, and another isolate sees its revocation', async () => {
    await awayFromWindowEdge();
    const adminKey = (await new ApiKeys(UpstashStore.connect({ url: redis.url, token: redis.token })).create({ tenant: `ops-${run}`, role: 'admin' })).key;
    const a = redisEnv();
    const b = redisEnv({ SWITCHYARD_POLICY_CHECK_MS: '200' }); // another isolate, checking the version every 200 ms
    const created = (await (await call(a, 'POST', '/admin/keys', adminKey, { tenant: `acme-${run}`, limits: { rpm: 2 } })).json()) as { id: string; key: string };
    const first = await call(a, 'GET', '/v1/models', created.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect((await call(b, 'GET', '/v1/models', created.key)).status).toBe(200);
    // b's first check read the global count (2); a would learn it only from its next sync
    // (SWITCHYARD_RATE_LIMIT_SYNC=deferred, the default: one request of overshoot at most).
    const third = await call(b, 'GET', '/v1/models', created.key);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBeTruthy();
    expect(((await third.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');

    const refusedByClient = await call(a, 'GET', '/admin/keys', created.key);
    expect(refusedByClient.status).toBe(403);

    expect((await call(a, 'POST', `/admin/keys/${created.id}/revoke`, adminKey)).status).toBe(200);
    expect((await call(a, 'GET', '/v1/models', created.key)).status).toBe(401); // the instance that revoked: at once
    await new Promise((r) => setTimeout(r, 250));
    expect((await call(b, 'GET', '/v1/models', created.key)).status).toBe(401); // the other: after its next version check
  });

  it('keeps the policy version and tenant records in the store the Worker reads', async () => {
    const adminKey = (await new ApiKeys(UpstashStore.connect({ url: redis.url, token: redis.token })).create({ tenant: `ops-${run}`, role: 'admin' })).key;
    const env = redisEnv();
    const put = await call(env, 'PUT', `/admin/tenants/tenant-${run}`, adminKey, { limits: { rpm: 3 } });
    expect(put.status).toBe(201);
    const version = new PolicyVersion(UpstashStore.connect({ url: redis.url, token: redis.token }), { checkEveryMs: 0 });
    let changed = 0;
    version.onChange(() => (changed += 1));
    await version.refresh();
    await call(env, 'DELETE', `/admin/tenants/tenant-${run}`, adminKey);
    await version.refresh();
    expect(changed).toBe(1);
  });
});
