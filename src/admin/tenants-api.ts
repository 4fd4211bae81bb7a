// /admin/tenants: limits and budgets shared by every key of a tenant (admin keys only).
import { Hono } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { tenantSettingsSchema } from '../tenants/tenant-record.ts';
import { InvalidTenantError, UnknownTenantError, type Tenants } from '../tenants/tenants.ts';
import { adminBody, adminError, translated } from './body.ts';

export function tenantsApi(tenants: Tenants): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => c.json({ object: 'list', data: (await tenants.list()).map((record) => ({ object: 'tenant', ...record })) }));

  app.get('/:tenant', async (c) => c.json({ object: 'tenant', ...(await domain(() => tenants.get(c.req.param('tenant')))) }));

  /** Sets the tenant's whole settings: a field left out is removed. */
  app.put('/:tenant', async (c) => {
    const settings = await adminBody(c.req.raw, tenantSettingsSchema);
    const { record, created } = await domain(() => tenants.put(c.req.param('tenant'), settings));
    return c.json({ object: 'tenant', ...record }, created ? 201 : 200);
  });

  app.delete('/:tenant', async (c) => c.json({ object: 'tenant', deleted: true, ...(await domain(() => tenants.delete(c.req.param('tenant')))) }));

  return app;
}

const domain = <T>(work: () => Promise<T>) =>
  translated(work, (error) => {
    if (error instanceof UnknownTenantError) return adminError(404, 'tenant_not_found', `No record for tenant \`${error.tenant}\`.`, 'tenant');
    if (error instanceof InvalidTenantError) return adminError(400, 'invalid_request', error.message);
    return undefined;
  });
