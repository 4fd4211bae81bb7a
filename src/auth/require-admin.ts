import { createMiddleware } from 'hono/factory';
import { GatewayError } from '../api/errors.ts';
import type { KeyRecord } from './api-keys.ts';

/**
 * After bearerAuth: lets only admin keys through. A client key is authenticated but not
 * allowed, so it gets 403 rather than 401 (retrying with the same key cannot help).
 */
export const requireAdmin = () =>
  createMiddleware<{ Variables: { key: KeyRecord } }>(async function requireAdmin(c, next) {
    if (c.get('key').role !== 'admin') {
      throw new GatewayError(403, 'This endpoint needs an admin API key.', { code: 'admin_key_required' });
    }
    await next();
  });
