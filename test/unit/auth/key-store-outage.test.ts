// Key lookups when the key store fails, with the real parts: redis-server behind the Upstash REST
// bridge, the real @upstash/redis client, the whole app. Killing redis-server (the bridge then
// waits for it) and then the bridge (connections refused) must never hold a request past a short
// lookup timeout, and while the store is down the gateway answers at once: 503 with Retry-After.
// Keys it already knows keep working; unknown keys are remembered so they stop costing lookups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import { CountingStore } from '../../support/counting-store.ts';
import { UpstashStore } from '../../../src/store/upstash-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from '../core/fixtures.ts';
import { startRealRedis, type RealRedis } from '../store/real-redis.ts';

const FLEET = localFleet();
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'a-secret', UPSTREAM_KEY_EU_WEST: 'b-secret', UPSTREAM_KEY_APAC: 'c-secret' };
const CHAT_OK = '{"id":"c","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';
const LOOKUP_TIMEOUT_MS = 400;

let redis: RealRedis | undefined;
let store: CountingStore;
let app: ReturnType<typeof createApp>;
const key = { known: '', notYetUsed: '', other: '' };

beforeAll(async () => {
  redis = await startRealRedis();
  store = new CountingStore(UpstashStore.connect({ url: redis.bridge.url, token: redis.bridge.token }));
  const admin = new ApiKeys(store);
  key.known = (await admin.create({ tenant: 'acme' })).key;
  key.notYetUsed = (await admin.create({ tenant: 'acme' })).key;
  key.other = (await admin.create({ tenant: 'globex' })).key;
  const keys = new ApiKeys(store, { lookupTimeoutMs: LOOKUP_TIMEOUT_MS });
  const transport: Transport = async () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' });
  app = createApp({ fleet: FLEET, keys, transport, secret: (n) => SECRETS[n], metrics: false });
});
afterAll(async () => {
  await redis?.close().catch(() => undefined);
});

async function call(presented: string): Promise<{ status: number; ms: number; retryAfter: string | null; code: string | null }> {
  const started = performance.now();
  const response = await app.request('/v1/chat/completions', {
    method: 'POST',
    headers: { authorization: `Bearer ${presented}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] }),
  });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status, ms: performance.now() - started, retryAfter: response.headers.get('retry-after'), code: body.error?.code ?? null };
}

const UNKNOWN = `sy-${'u'.repeat(40)}`;

describe('key lookups while the key store is up', () => {
  it('serves a key from the store, then from memory', async () => {
    expect((await call(key.known)).status).toBe(200);
    const before = store.hgets;
    expect((await call(key.known)).status).toBe(200);
    expect(store.hgets).toBe(before);
  });

  it('remembers an unknown key for a while: the second try costs no lookup', async () => {
    expect((await call(UNKNOWN)).status).toBe(401);
    const before = store.hgets;
    for (let i = 0; i < 5; i++) expect((await call(UNKNOWN)).status).toBe(401);
    expect(store.hgets).toBe(before);
  });
});

describe('key lookups while the key store is down', () => {
  it('with redis-server killed: a lookup gives up after its short timeout with 503 and Retry-After, then fails fast', async () => {
    await redis?.server.close();
    const first = await call(key.notYetUsed);
    expect([first.status, first.code]).toEqual([503, 'key_store_unavailable']);
    expect(Number(first.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(first.ms).toBeLessThan(LOOKUP_TIMEOUT_MS + 2_000); // the client library's retries take ~4.3 s
    // While it rests, nothing waits on the store at all.
    const lookups = store.hgets;
    for (let i = 0; i < 5; i++) {
      const again = await call(key.other);
      expect([again.status, again.code]).toEqual([503, 'key_store_unavailable']);
      expect(again.ms).toBeLessThan(LOOKUP_TIMEOUT_MS); // it did not wait out a timeout
    }
    expect(store.hgets).toBe(lookups);
    // A key this instance already verified is still served; an unknown one is still refused.
    expect((await call(key.known)).status).toBe(200);
    expect((await call(UNKNOWN)).status).toBe(401);
  });

  it('with the REST bridge gone too (connections refused): 503 within the timeout, not after the client library’s retries', async () => {
    await redis?.bridge.close();
    await new Promise((r) => setTimeout(r, 1_100)); // past the rest: the next lookup really tries
    const first = await call(key.notYetUsed);
    expect([first.status, first.code]).toEqual([503, 'key_store_unavailable']);
    expect(first.ms).toBeLessThan(LOOKUP_TIMEOUT_MS + 2_000); // the client library's retries take ~4.3 s
    const second = await call(key.notYetUsed);
    expect(second.status).toBe(503);
    expect(second.ms).toBeLessThan(LOOKUP_TIMEOUT_MS);
  });
});

describe("the request's deadline", () => {
  it('counts from arrival: time spent on the key lookup is inside it, not added to it', async () => {
    const fleet = { ...FLEET, routing: { ...FLEET.routing, timeouts: { ...FLEET.routing.timeouts, totalMs: 1_000 } } };
    const slowKeys = {
      verify: async () => {
        await new Promise((r) => setTimeout(r, 800));
        return { id: 'key_000000000001', hash: '0'.repeat(64), tenant: 'acme', label: '', createdAt: '2026-01-01T00:00:00.000Z' };
      },
    };
    // An upstream that never answers, until the gateway gives up.
    const hanging: Transport = (request) =>
      new Promise((_resolve, reject) => request.cancel?.onCancel(() => reject(new Error('aborted'))));
    const slowApp = createApp({ fleet, keys: slowKeys, transport: hanging, secret: (n) => SECRETS[n], metrics: false });
    const started = performance.now();
    const response = await slowApp.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${UNKNOWN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const ms = performance.now() - started;
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('upstream_total_timeout');
    // Inside the deadline: about 1,000 ms; added to it, 1,800. The margin is for a loaded machine.
    expect(ms).toBeGreaterThanOrEqual(990);
    expect(ms).toBeLessThan(1_700);
  });
});
