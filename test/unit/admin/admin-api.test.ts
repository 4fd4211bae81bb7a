// The admin HTTP API (/admin/keys, /admin/tenants) and the request-level limits, through the
// whole app (bearer auth, requireAdmin, one onError), over the embedded store.
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import { buildGovernance, type Governance } from '../../../src/governance.ts';
import { MemoryCounters } from '../../../src/limits/memory-counters.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { localFleet } from '../core/fixtures.ts';
import { stallingReader, upstreamResponse } from '../../support/upstream.ts';

const FLEET = localFleet();
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 's', UPSTREAM_KEY_EU_WEST: 's', UPSTREAM_KEY_APAC: 's' };
const CHAT_OK = '{"id":"c","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}';

let gov: Governance;
let admin: string;
let client: string;
let app: ReturnType<typeof createApp>;
let transport: Transport;

beforeEach(async () => {
  gov = buildGovernance({ fleet: FLEET, store: new MemoryStore(), counters: new MemoryCounters() });
  admin = (await gov.keys.create({ tenant: 'ops', role: 'admin', label: 'first admin' })).key;
  client = (await gov.keys.create({ tenant: 'acme' })).key;
  transport = async () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' });
  app = createApp({ fleet: FLEET, keys: gov.keys, limiter: gov.limiter, admin: gov, transport: (r) => transport(r), secret: (n) => SECRETS[n] });
});

async function call(method: string, path: string, options: { key?: string | null; body?: unknown; raw?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  const key = options.key === undefined ? admin : options.key;
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  if (body !== undefined) headers['content-type'] = options.type ?? 'application/json';
  const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text === '' ? undefined : (JSON.parse(text) as Body) };
}

/** What the tests read from answers (records, lists, errors). */
interface Body {
  [field: string]: unknown;
  id?: string;
  key?: string;
  revokedAt?: string;
  previousValidUntil?: string;
  limits?: unknown;
  data?: { id: string; tenant: string }[];
  error?: { message: string; type: string; code: string | null; param: string | null };
}

const chat = (key: string, model = 'llama-3.1-8b', extra: Record<string, unknown> = {}) =>
  call('POST', '/v1/chat/completions', { key, body: { model, messages: [{ role: 'user', content: 'Hi' }], ...extra } });

describe('/admin/keys', () => {
  it('needs an admin key: 401 without a key, 403 with a client key', async () => {
    expect((await call('GET', '/admin/keys', { key: null })).status).toBe(401);
    const refused = await call('GET', '/admin/keys', { key: client });
    expect(refused.status).toBe(403);
    expect(refused.json?.error).toMatchObject({ type: 'permission_error', code: 'admin_key_required' });
    expect((await call('GET', '/admin/tenants', { key: client })).status).toBe(403);
    expect((await call('GET', '/admin/nothing-here', { key: client })).status).toBe(403);
    expect((await call('GET', '/admin/nothing-here')).status).toBe(404);
  });

  it('creates a key with limits, budgets, models and expiry, shows the secret once and never the hash', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const created = await call('POST', '/admin/keys', {
      body: { tenant: 'acme', label: 'batch', models: ['llama-3.1-8b'], limits: { rpm: 100, tpm: 50_000 }, budgets: { monthly: { usd: 20 } }, expiresAt },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ object: 'api_key', tenant: 'acme', label: 'batch', models: ['llama-3.1-8b'], limits: { rpm: 100, tpm: 50_000 }, expiresAt });
    expect(created.json?.key).toMatch(/^sy-[A-Za-z0-9_-]{40}$/);
    expect(created.json).not.toHaveProperty('hash');
    const id = created.json?.id ?? '';
    const got = await call('GET', `/admin/keys/${id}`);
    expect(got.json).not.toHaveProperty('key');
    expect(got.json).not.toHaveProperty('hash');
    expect(got.json?.id).toBe(id);
    expect((await chat(created.json?.key ?? '')).status).toBe(200);
    const listed = await call('GET', '/admin/keys?tenant=acme');
    expect(listed.json?.object).toBe('list');
    expect(listed.json?.data?.map((k) => k.id)).toEqual([expect.any(String), id]);
    expect((await call('GET', '/admin/keys')).json?.data).toHaveLength(3);
  });

  it.each([
    ['an unknown field', { tenant: 'acme', rpm: 5 }, null],
    ['a zero limit', { tenant: 'acme', limits: { rpm: 0 } }, 'limits.rpm'],
    ['a misspelt limit', { tenant: 'acme', limits: { rps: 5 } }, 'limits'],
    ['a bad tenant', { tenant: 'a b' }, 'tenant'],
    ['a model the fleet does not serve', { tenant: 'acme', models: ['gpt-4'] }, 'models'],
    ['a region the fleet does not have', { tenant: 'acme', regions: ['mars'] }, 'regions'],
    ['an expiry in the past', { tenant: 'acme', expiresAt: '2020-01-01T00:00:00Z' }, null],
  ])('refuses %s with 400, naming the field', async (_, body, param) => {
    const before = (await call('GET', '/admin/keys')).json?.data?.length;
    const refused = await call('POST', '/admin/keys', { body });
    expect(refused.status).toBe(400);
    expect(refused.json?.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(refused.json?.error?.message.length).toBeGreaterThan(10);
    expect((await call('GET', '/admin/keys')).json?.data?.length).toBe(before);
  });

  it('refuses a body that is not JSON, or not declared as JSON', async () => {
    expect((await call('POST', '/admin/keys', { raw: '{"tenant":' })).json?.error?.code).toBe('invalid_json');
    expect((await call('POST', '/admin/keys', { raw: 'tenant=acme', type: 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  it('updates limits and scope; null clears a field; an unknown id is 404', async () => {
    const { id } = (await call('POST', '/admin/keys', { body: { tenant: 'acme', limits: { rpm: 5 }, regions: ['us-east'] } })).json as { id: string };
    const updated = await call('PATCH', `/admin/keys/${id}`, { body: { limits: { rpm: 50, concurrency: 2 }, regions: null, label: 'renamed' } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ limits: { rpm: 50, concurrency: 2 }, label: 'renamed', updatedAt: expect.any(String) });
    expect(updated.json).not.toHaveProperty('regions');
    expect((await call('PATCH', `/admin/keys/${id}`, { body: { tenant: 'other' } })).status).toBe(400);
    expect((await call('PATCH', `/admin/keys/${id}`, { body: { models: ['nope'] } })).json?.error?.param).toBe('models');
    const missing = await call('PATCH', '/admin/keys/key_000000000000', { body: { label: 'x' } });
    expect(missing.status).toBe(404);
    expect(missing.json?.error).toMatchObject({ code: 'key_not_found', param: 'id' });
  });

  it('revokes: the key stops at once, a second revoke returns the first, a revoked key cannot change', async () => {
    const created = (await call('POST', '/admin/keys', { body: { tenant: 'acme' } })).json as { id: string; key: string };
    expect((await chat(created.key)).status).toBe(200);
    const revoked = await call('POST', `/admin/keys/${created.id}/revoke`);
    expect(revoked.json?.revokedAt).toEqual(expect.any(String));
    expect((await chat(created.key)).status).toBe(401);
    expect((await call('POST', `/admin/keys/${created.id}/revoke`)).json?.revokedAt).toBe(revoked.json?.revokedAt);
    expect((await call('PATCH', `/admin/keys/${created.id}`, { body: { label: 'x' } })).status).toBe(400);
    expect((await call('POST', `/admin/keys/${created.id}/rotate`)).status).toBe(400);
  });

  it('rotates: the new secret works, the old one for the grace period (or not at all with 0)', async () => {
    const created = (await call('POST', '/admin/keys', { body: { tenant: 'acme' } })).json as { id: string; key: string };
    const rotated = await call('POST', `/admin/keys/${created.id}/rotate`, { body: { graceSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ id: created.id, rotatedAt: expect.any(String), previousValidUntil: expect.any(String) });
    expect(rotated.json?.key).not.toBe(created.key);
    expect((await chat(rotated.json?.key ?? '')).status).toBe(200);
    expect((await chat(created.key)).status).toBe(200);
    // No body: the default grace period (24 h); graceSeconds 0: the previous secret stops now.
    const again = await call('POST', `/admin/keys/${created.id}/rotate`);
    expect(Date.parse(again.json?.previousValidUntil ?? '') - Date.now()).toBeGreaterThan(23 * 3600_000);
    const hard = await call('POST', `/admin/keys/${created.id}/rotate`, { body: { graceSeconds: 0 } });
    expect(hard.json).not.toHaveProperty('previousValidUntil');
    expect((await chat(again.json?.key ?? '')).status).toBe(401);
    expect((await chat(hard.json?.key ?? '')).status).toBe(200);
    expect((await call('POST', `/admin/keys/${created.id}/rotate`, { body: { graceSeconds: -5 } })).json?.error?.param).toBe('graceSeconds');
  });
});

describe('/admin/tenants', () => {
  it('creates, replaces, reads, lists and deletes tenant limits', async () => {
    const created = await call('PUT', '/admin/tenants/acme', { body: { limits: { rpm: 10 }, budgets: { daily: { tokens: 1000 } } } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ object: 'tenant', tenant: 'acme', limits: { rpm: 10 } });
    const replaced = await call('PUT', '/admin/tenants/acme', { body: { limits: { concurrency: 3 } } });
    expect(replaced.status).toBe(200);
    expect(replaced.json).not.toHaveProperty('budgets');
    expect((await call('GET', '/admin/tenants/acme')).json?.limits).toEqual({ concurrency: 3 });
    expect((await call('GET', '/admin/tenants')).json?.data?.map((t) => t.tenant)).toEqual(['acme']);
    expect((await call('DELETE', '/admin/tenants/acme')).json).toMatchObject({ deleted: true, tenant: 'acme' });
    expect((await call('GET', '/admin/tenants/acme')).json?.error).toMatchObject({ code: 'tenant_not_found' });
    expect((await call('PUT', '/admin/tenants/acme', { body: { limits: { rpm: 'ten' } } })).json?.error?.param).toBe('limits.rpm');
    expect((await call('PUT', '/admin/tenants/not%20ok', { body: {} })).status).toBe(400);
  });
});

describe('limits on the API', () => {
  it('refuses the request over a key’s rpm with 429, Retry-After and the x-ratelimit headers', async () => {
    const { key } = (await call('POST', '/admin/keys', { body: { tenant: 'acme', limits: { rpm: 2 } } })).json as { key: string };
    const first = await chat(key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('2');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('1');
    expect(first.headers.get('x-ratelimit-reset-requests')).toMatch(/^(1m0s|\d+s|\d+ms)$/);
    expect((await call('GET', '/v1/models', { key })).headers.get('x-ratelimit-remaining-requests')).toBe('0');
    const refused = await chat(key);
    expect(refused.status).toBe(429);
    expect(refused.json?.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(refused.headers.get('x-request-id')).toBeTruthy();
    // A key without limits gets no x-ratelimit headers.
    expect((await chat(client)).headers.get('x-ratelimit-limit-requests')).toBeNull();
  });

  it('applies a tenant limit set over the API to every key of the tenant, and lifts it when deleted', async () => {
    await call('PUT', '/admin/tenants/acme', { body: { limits: { rpm: 1 } } });
    expect((await chat(client)).status).toBe(200);
    const other = (await call('POST', '/admin/keys', { body: { tenant: 'acme' } })).json?.key ?? '';
    expect((await chat(other)).json?.error?.message).toContain('on tenant acme');
    await call('DELETE', '/admin/tenants/acme');
    expect((await chat(other)).status).toBe(200);
  });

  it('holds a concurrency slot until a streamed answer has been read, and frees it when the client leaves', async () => {
    const { key, id } = (await call('POST', '/admin/keys', { body: { tenant: 'acme', limits: { concurrency: 1 } } })).json as { key: string; id: string };
    // An upstream that sends one chunk and then nothing: the stream stays open.
    const chunk = 'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
    transport = async () => ({ ...upstreamResponse(200, '', { 'content-type': 'text/event-stream' }), reader: () => stallingReader([chunk]) });
    const streaming = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    expect(streaming.status).toBe(200);
    const body = streaming.body?.getReader();
    await body?.read(); // the first chunk is through; the stream stays open
    const second = await chat(key);
    expect(second.status).toBe(429);
    expect(second.json?.error?.message).toContain(`concurrent requests on API key ${id}`);
    await body?.cancel(); // the client leaves
    await new Promise((r) => setTimeout(r, 10));
    transport = async () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' });
    expect((await chat(key)).status).toBe(200);
    expect((await chat(key)).status).toBe(200); // a non-streamed answer frees its slot at once
  });

  it('keeps a key to its model allow-list, in requests and in /v1/models', async () => {
    const { key } = (await call('POST', '/admin/keys', { body: { tenant: 'acme', models: ['llama-3.1-8b'] } })).json as { key: string };
    expect((await chat(key, 'llama-3.1-8b')).status).toBe(200);
    const refused = await chat(key, 'qwen2.5-32b');
    expect(refused.status).toBe(403);
    expect(refused.json?.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed', param: 'model' });
    expect(refused.json?.error?.message).toContain('It may use: llama-3.1-8b');
    const tier = await chat(key, 'large');
    expect(tier.json?.error?.message).toContain('(chosen for `large`)');
    const models = (await call('GET', '/v1/models', { key })).json?.data?.map((m) => m.id);
    expect(models).toContain('llama-3.1-8b');
    expect(models).not.toContain('qwen2.5-32b');
    expect(models).not.toContain('llama-3.1-70b');
  });

  it('refuses an expired key like a revoked one', async () => {
    const { id, key } = (await call('POST', '/admin/keys', { body: { tenant: 'acme', expiresAt: new Date(Date.now() + 60_000).toISOString() } })).json as { id: string; key: string };
    expect((await chat(key)).status).toBe(200);
    // Expiry is checked on every request against the record; moving it is what an operator would do.
    await gov.keys.update(id, { expiresAt: new Date(Date.now() + 5).toISOString() });
    await new Promise((r) => setTimeout(r, 10));
    expect((await chat(key)).status).toBe(401);
  });
});
