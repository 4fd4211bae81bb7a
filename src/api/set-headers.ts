import type { Context } from 'hono';

/**
 * Sets headers on the answer as it is (no copy), after the handler: a copy only when its headers
 * are immutable (a fetched Response). `append` adds a value (e.g. to Vary) instead of replacing.
 */
export function setResponseHeaders(c: Context, headers: Readonly<Record<string, string>>, append: Readonly<Record<string, string>> = {}): void {
  const apply = (target: Headers) => {
    for (const name in headers) target.set(name, headers[name] as string);
    for (const name in append) target.append(name, append[name] as string);
  };
  try {
    apply(c.res.headers);
  } catch {
    const copy = new Response(c.res.body, c.res);
    apply(copy.headers);
    c.res = copy;
  }
}
