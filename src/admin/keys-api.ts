// /admin/keys: create, list, get, update, revoke and rotate API keys (admin keys only; the
// app mounts it behind bearerAuth + requireAdmin). Records go out without their hash; a raw
// key appears exactly once, in the answer to create or rotate.
import { Hono } from 'hono';
import * as z from '../zod-mini.ts';
import type { AppEnv } from '../app-env.ts';
import { InvalidKeyChangeError, InvalidNewKeyError, MAX_ROTATION_GRACE_SECONDS, UnknownKeyError, type ApiKeys, type KeyRecord } from '../auth/api-keys.ts';
import { keyChangeSchema, newKeySchema } from '../auth/key-record.ts';
import type { CompiledFleet } from '../fleet/compiled.ts';
import { adminBody, adminError, translated } from './body.ts';
import { assertKnownNames } from './fleet-names.ts';

const rotateSchema = z.strictObject({ graceSeconds: z.optional(z.int().check(z.gte(0), z.lte(MAX_ROTATION_GRACE_SECONDS))) });

/** A key record as the API shows it: everything but the hash of the secret. */
export type KeyView = Omit<KeyRecord, 'hash'> & { object: 'api_key' };

export function keyView(record: KeyRecord): KeyView {
  const { hash: _hash, ...rest } = record;
  return { object: 'api_key', ...rest };
}

export function keysApi(keys: ApiKeys, fleet: CompiledFleet): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get('/', async (c) => {
    const tenant = c.req.query('tenant');
    const records = await keys.list(tenant === undefined ? {} : { tenant });
    return c.json({ object: 'list', data: records.map(keyView) });
  });

  app.post('/', async (c) => {
    const input = await adminBody(c.req.raw, newKeySchema);
    assertKnownNames(fleet, input);
    const { key, record } = await domain(() => keys.create(input));
    return c.json({ ...keyView(record), key }, 201);
  });

  app.get('/:id', async (c) => c.json(keyView(await domain(() => keys.get(c.req.param('id'))))));

  app.patch('/:id', async (c) => {
    const change = await adminBody(c.req.raw, keyChangeSchema);
    assertKnownNames(fleet, change);
    return c.json(keyView(await domain(() => keys.update(c.req.param('id'), change))));
  });

  app.post('/:id/revoke', async (c) => c.json(keyView(await domain(() => keys.revoke(c.req.param('id'))))));

  app.post('/:id/rotate', async (c) => {
    const { graceSeconds } = await adminBody(c.req.raw, rotateSchema, { optional: true });
    const rotation = await domain(() => keys.rotate(c.req.param('id'), graceSeconds === undefined ? {} : { graceSeconds }));
    return c.json({ ...keyView(rotation.record), key: rotation.key, ...(rotation.previousValidUntil ? { previousValidUntil: rotation.previousValidUntil } : {}) });
  });

  return app;
}

/** The key layer's typed failures as the API's errors (404 for an unknown id, 400 for a bad change). */
const domain = <T>(work: () => Promise<T>) =>
  translated(work, (error) => {
    if (error instanceof UnknownKeyError) return adminError(404, 'key_not_found', `No API key with id \`${error.id}\`.`, 'id');
    if (error instanceof InvalidNewKeyError || error instanceof InvalidKeyChangeError) return adminError(400, 'invalid_request', error.message);
    return undefined;
  });
