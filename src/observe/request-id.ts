import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { setAnswerHeader } from '../api/answer-headers.ts';
import { randomUuid } from './random-hex.ts';

const MAX_LENGTH = 128;
const UNSAFE = /[^\w\-=]/;

/**
 * The request's id in `c.var.requestId` and the `x-request-id` answer header: the client's own
 * `x-request-id` when it is short and plain (letters, digits, `_`, `-`, `=`), else a random UUID.
 * What Hono's requestId() does, with ids cut from a pool of random bytes rather than a
 * crypto.randomUUID() call per request, and the header read once.
 */
export const requestId = (): MiddlewareHandler<AppEnv> =>
  function requestId(c, next) {
    const given = c.req.raw.headers.get('x-request-id');
    const id = given !== null && given !== '' && given.length <= MAX_LENGTH && !UNSAFE.test(given) ? given : randomUuid();
    c.set('requestId', id);
    setAnswerHeader(c, 'x-request-id', id);
    return next();
  };
