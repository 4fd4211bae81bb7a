import { createMiddleware } from 'hono/factory';
import { errors, GatewayError, retryAfterHeaders } from '../api/errors.ts';
import { StoreUnavailableError } from '../store/guarded-read.ts';
import type { KeyRecord } from './api-keys.ts';

export interface KeyVerifier {
  verify(presentedKey: string): Promise<KeyRecord | null>;
}

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * `Authorization: Bearer <key>` → the key's record in `c.get('key')`. Missing, malformed,
 * unknown and revoked keys all get 401 `invalid_api_key` (the verifier compares hashes in
 * constant time), without saying which of these it was.
 */
export const bearerAuth = (keys: KeyVerifier) =>
  createMiddleware<{ Variables: { key: KeyRecord } }>(async function bearerAuth(c, next) {
    const header = c.req.header('authorization');
    if (!header) throw errors.missingKey();
    const match = BEARER.exec(header);
    let record: KeyRecord | null = null;
    if (match?.[1]) {
      try {
        record = await keys.verify(match[1]);
      } catch (error) {
        // The key store is down: refuse (fail closed) but say it is us, not the key, and when to retry.
        throw new GatewayError(503, 'The API key store is unavailable; try again shortly.', {
          code: 'key_store_unavailable',
          headers: retryAfterHeaders(error instanceof StoreUnavailableError ? error.retryAfterMs : 1_000),
          cause: error,
          detail: error instanceof Error ? error.message : String(error),
        });
      }
    }
    if (!record) throw errors.invalidKey();
    c.set('key', record);
    await next();
  });
