import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/api/errors.ts';
import type { KeyRecord } from '../../../src/auth/api-keys.ts';
import { requireAdmin } from '../../../src/auth/require-admin.ts';

const record = (role?: 'client' | 'admin'): KeyRecord => ({
  id: 'key_000000000000',
  hash: '0'.repeat(64),
  tenant: 't',
  label: '',
  createdAt: '2026-12-01T00:00:00.000Z',
  ...(role ? { role } : {}),
});

const appFor = (key: KeyRecord) => {
  const app = new Hono<{ Variables: { key: KeyRecord } }>();
  app.use('*', async (c, next) => {
    c.set('key', key);
    await next();
  });
  app.use('*', requireAdmin());
  app.get('/metrics', (c) => c.text('ok'));
  app.onError((error) => (error instanceof GatewayError ? error.toResponse() : new Response('boom', { status: 500 })));
  return app;
};

describe('requireAdmin', () => {
  it.each([
    ['a key without a role (client)', undefined, 403],
    ['a client key', 'client' as const, 403],
    ['an admin key', 'admin' as const, 200],
  ])('answers %s with %i', async (_, role, status) => {
    const res = await appFor(record(role)).request('/metrics');
    expect(res.status).toBe(status);
    if (status === 403) expect((await res.json()) as unknown).toMatchObject({ error: { type: 'permission_error', code: 'admin_key_required' } });
  });
});
