import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppEnv } from '../app-env.ts';
import { setAnswerHeader } from './answer-headers.ts';

export interface CorsOptions {
  /** Allowed origins; `*` allows any. */
  allowedOrigins: readonly string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number;
}

/**
 * CORS: Hono's cors() answers preflights; an actual request gets the same headers it would set
 * (Access-Control-Allow-Origin and Access-Control-Expose-Headers for an allowed origin, Vary: Origin;
 * nothing when the fleet allows no origin), through the answer's header record
 * (src/api/answer-headers.ts). Hono's cors() sets them before the handler through `c.res`, and a
 * response that exists before the handler makes Hono rebuild the handler's answer as a full
 * WHATWG Response over a body stream (`set res`): tens of microseconds per request on Node, for
 * the same bytes.
 */
export function corsHeaders(options: CorsOptions): MiddlewareHandler<AppEnv> {
  const anyOrigin = options.allowedOrigins.includes('*');
  const allowOrigin = (origin: string) => (anyOrigin ? '*' : options.allowedOrigins.includes(origin) ? origin : null);
  const preflight = cors({
    origin: allowOrigin,
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: options.allowHeaders,
    exposeHeaders: options.exposeHeaders,
    maxAge: options.maxAgeSeconds,
  });
  const expose = options.exposeHeaders.join(',');
  // No allowed origin: every answer is the same whatever the Origin, so it needs no header at all.
  if (options.allowedOrigins.length === 0) {
    return function noCors(c, next) {
      return c.req.method === 'OPTIONS' ? preflight(c, next) : next();
    };
  }
  return function corsHeaders(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    const origin = allowOrigin(c.req.header('origin') ?? '');
    // Expose-Headers means something only beside Allow-Origin; Vary tells caches the answer depends on Origin.
    if (origin) {
      setAnswerHeader(c, 'access-control-allow-origin', origin);
      setAnswerHeader(c, 'access-control-expose-headers', expose);
    }
    setAnswerHeader(c, 'vary', 'Origin');
    return next();
  };
}
