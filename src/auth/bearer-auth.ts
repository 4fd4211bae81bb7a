import { createMiddleware } from 'hono/factory';
import { errors } from '../api/errors.ts';
import type { KeyRecord } from './api-keys.ts';

export interface KeyVerifier {
  verify(presentedKey: string): Promise<KeyRecord | null>;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * `Authorization: Bearer <key>` → the key's record in `c.var.key`. Missing, malformed,
 * unknown and revoked keys all get 401 `invalid_api_key` (the verifier compares hashes in
 * constant time), without saying which of these it was.
 */
export const bearerAuth = (keys: KeyVerifier) =>
  createMiddleware<{ Variables: { key: KeyRecord } }>(async function bearerAuth(c, next) {
    const header = c.req.header('authorization');
    if (!header) throw errors.missingKey();
    const match = BEARER.exec(header);
    const record = match?.[1] ? await keys.verify(match[1]) : null;
    if (!record) throw errors.invalidKey();
    c.set('key', record);
    await next();
  });
