import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.ts';

/**
 * The answer's headers, gathered in one plain record while a request is handled (the request id,
 * the route taken, rate limits, the cache's verdict) and put on the answer by one `new Response`.
 * Hono's `c.header()` keeps them in a WHATWG `Headers` (every name and value validated, then
 * sorted and copied once more when Node writes the answer; native calls in workerd): on Node a
 * record goes out as it is (@hono/node-server writes a plain record straight to `writeHead`).
 */
export type AnswerHeaders = Record<string, string>;

/** Starts the record; an answer not built by `answer()` (Hono's `c.json()`, a route's own) gets the record's headers it lacks. */
export const answerHeaders = (): MiddlewareHandler<AppEnv> =>
  async function answerHeaders(c, next) {
    const headers: AnswerHeaders = {};
    c.set('answerHeaders', headers);
    await next();
    if (c.res === c.get('answer')) return;
    const res = withHeaders(c.res, (target) => {
      for (const name in headers) if (!target.has(name)) target.set(name, headers[name] as string);
    });
    if (res !== c.res) c.res = res;
  };

/**
 * `apply` run on a response's headers, or on a copy's when they are immutable (a response passed
 * through as it came): the response that carries them.
 */
export function withHeaders(response: Response, apply: (headers: Headers) => void): Response {
  try {
    apply(response.headers);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    apply(copy.headers);
    return copy;
  }
}

/** A JSON answer's own header. */
export const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
/** A server-sent event stream's own headers. */
export const SSE_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/** Sets the headers of a record (a limiter's `x-ratelimit-*`) on the answer to come. */
export function setAnswerHeaders(c: Context<AppEnv>, headers: Readonly<Record<string, string>>): void {
  for (const name in headers) setAnswerHeader(c, name, headers[name] as string);
}

/** Sets a header of the answer to come. */
export function setAnswerHeader(c: Context<AppEnv>, name: string, value: string): void {
  const headers = c.get('answerHeaders');
  if (headers) headers[name] = value;
  else c.header(name, value);
}

/** The answer: `body` with the record's headers and `own` (its content type and the like, which win). */
export function answer(c: Context<AppEnv>, body: BodyInit | null, status: number, own: Readonly<Record<string, string>>): Response {
  const headers = c.get('answerHeaders');
  const response = new Response(body, { status, headers: headers ? Object.assign(headers, own) : own });
  c.set('answer', response);
  return response;
}
