import { createMiddleware } from 'hono/factory';
import { setAnswerHeaders } from '../api/answer-headers.ts';
import type { AppEnv } from '../app-env.ts';
import { defer } from '../handlers/defer.ts';
import type { Limiter } from './limiter.ts';

/**
 * Requests per minute and requests in flight, per key and per tenant, for every authenticated
 * API request (a cache hit included), before any handler runs. Tokens per minute and budgets
 * need the request's size and the call's usage, so the handler admits those itself, after the
 * cache (src/handlers/exchange.ts `admitTokens`), and the metered usage settles them. Sets the `x-ratelimit-*` headers on the answer; a slot is held until the response
 * body has been sent (or the client went away).
 */
export const limitRequests = (limiter: Limiter) =>
  createMiddleware<AppEnv>(async function limitRequests(c, next) {
    const admission = await limiter.admit({ key: c.get('key'), tokens: 0, scope: 'request', waitUntil: (work) => defer(c, () => work) });
    // The x-ratelimit-* headers go on whatever the answer turns out to be; without a slot to free, nothing is left to do after it.
    setAnswerHeaders(c, admission.headers);
    if (!admission.holdsSlot) return next();
    try {
      await next();
    } finally {
      const release = () => defer(c, () => admission.release());
      // The type first: reading `body` makes a Node answer a full Response over a stream.
      const body = c.res.headers.get('content-type')?.startsWith('text/event-stream') === true ? c.res.body : null;
      if (body !== null) {
        c.res = new Response(releasedAtEnd(body, release), c.res);
      } else {
        release();
      }
    }
  });

/** The same bytes, chunk for chunk; `release` runs once, when the stream ends, fails or is cancelled. */
function releasedAtEnd(body: ReadableStream<Uint8Array>, release: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let released = false;
  const once = () => {
    if (!released) {
      released = true;
      release();
    }
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          once();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        once();
        controller.error(error);
      }
    },
    cancel(reason) {
      once();
      return reader.cancel(reason);
    },
  });
}
