// What single runtime calls cost inside workerd (`npm run bench -- workerd`): GET /?op=<name>&n=<count>
// runs the operation `count` times in one request; the benchmark reads the workerd process's
// CPU time around it (the isolate's clock does not move while JavaScript runs, so it cannot time
// itself). The operations are the ones the gateway makes per request.
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';

interface Ctx {
  waitUntil(promise: Promise<unknown>): void;
}

interface Env {
  /** The simulator's origin, for the fetch operations. */
  UPSTREAM?: string;
}

const BODY = new TextEncoder().encode('{"id":"cmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."}}],"usage":{"prompt_tokens":9,"completion_tokens":3}}');
const EIGHT: Record<string, string> = {
  'content-type': 'application/json',
  'x-request-id': 'f0c1d2e3-a4b5-4c6d-8e9f-0a1b2c3d4e5f',
  'x-switchyard-model': 'llama-3.1-8b',
  'x-switchyard-region': 'bench',
  'x-switchyard-tier': 'small',
  'x-switchyard-route': 'classified:small pick=bench/ep-0',
  'x-switchyard-cache': 'bypass',
  'access-control-expose-headers': 'x-request-id,x-switchyard-model',
};

/** The shape of Switchyard's answer: hono's request id, six headers through c.header, CORS's after the handler. */
const hono = new Hono();
hono.use('*', requestId({ headerName: 'x-request-id' }));
hono.use('*', async (c, next) => {
  await next();
  c.res.headers.set('access-control-expose-headers', EIGHT['access-control-expose-headers'] as string);
  c.res.headers.append('vary', 'Origin');
});
hono.get('/', (c) => {
  for (const name of ['x-switchyard-model', 'x-switchyard-region', 'x-switchyard-tier', 'x-switchyard-route', 'x-switchyard-cache', 'content-type']) c.header(name, EIGHT[name] as string);
  return c.body(BODY, 200);
});

const sink: unknown[] = [];
const keep = (value: unknown) => {
  if (sink.length > 64) sink.length = 0;
  sink.push(value);
};

const CHAT = '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hello in one short sentence."}],"max_tokens":16}';
/** The upstream headers Switchyard sends (src/backends/vllm.ts), as a record. */
const UPSTREAM_HEADERS: Record<string, string> = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  'x-gateway-inference-fairness-id': 'bench',
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'x-request-id': 'f0c1d2e3-a4b5-4c6d-8e9f-0a1b2c3d4e5f',
};
const upstream = (env: Env) => `${env.UPSTREAM ?? ''}/v1/chat/completions`;
const readAll = async (response: Response) => keep(await response.arrayBuffer());

/** Operations that fetch from the simulator: fewer calls (each waits for a real exchange). */
export const FETCH_OPS = new Set(['fetch: plain (headers record, string body)', 'fetch: + AbortSignal', 'fetch: + AbortSignal + redirect manual (as Switchyard)']);

const OPS: Record<string, (request: Request, ctx: Ctx, env: Env) => unknown> = {
  empty: () => undefined,
  'setTimeout + clearTimeout': () => clearTimeout(setTimeout(() => {}, 60_000)),
  queueMicrotask: () => queueMicrotask(() => {}),
  'Promise.resolve().then': () => void Promise.resolve().then(() => {}),
  AbortController: () => keep(new AbortController().signal),
  'signal add + removeEventListener': (request) => {
    const listener = () => {};
    request.signal.addEventListener('abort', listener, { once: true });
    request.signal.removeEventListener('abort', listener);
  },
  'Headers.get': (request) => keep(request.headers.get('authorization')),
  'new Headers + 8 set': () => {
    const headers = new Headers();
    for (const name in EIGHT) headers.set(name, EIGHT[name] as string);
    keep(headers);
  },
  'new Response(bytes, 8 headers as a Headers)': () => keep(new Response(BODY, { status: 200, headers: new Headers(EIGHT) })),
  'new Response(bytes, 8 headers as a record)': () => keep(new Response(BODY, { status: 200, headers: EIGHT })),
  'TextEncoder.encode (51 chars)': () => keep(new TextEncoder().encode('sy-0123456789012345678901234567890123456789abcdefgh')),
  'hono: request id, 6 c.header, c.body, 2 headers after (awaited)': async () => keep(await hono.fetch(new Request('http://gateway/'))),
  'the same answer as one new Response(bytes, record of 9)': async () => keep(await Promise.resolve(new Response(BODY, { status: 200, headers: { ...EIGHT, 'x-request-id': crypto.randomUUID(), vary: 'Origin' } }))),
  'new Request (no body)': () => keep(new Request('http://gateway/')),
  'crypto.subtle.digest SHA-256 (awaited)': async () => keep(await crypto.subtle.digest('SHA-256', BODY)),
  'ctx.waitUntil': (_request, ctx) => ctx.waitUntil(Promise.resolve()),
  'fetch: plain (headers record, string body)': async (_r, _c, env) => readAll(await fetch(upstream(env), { method: 'POST', headers: UPSTREAM_HEADERS, body: CHAT })),
  'fetch: + AbortSignal': async (_r, _c, env) => readAll(await fetch(upstream(env), { method: 'POST', headers: UPSTREAM_HEADERS, body: CHAT, signal: new AbortController().signal })),
  'fetch: + AbortSignal + redirect manual (as Switchyard)': async (_r, _c, env) =>
    readAll(await fetch(upstream(env), { method: 'POST', headers: UPSTREAM_HEADERS, body: CHAT, signal: new AbortController().signal, redirect: 'manual' })),
};

export const RUNTIME_CALLS = Object.keys(OPS);

export default {
  async fetch(request: Request, env: Env, ctx: Ctx): Promise<Response> {
    const url = new URL(request.url);
    const op = OPS[url.searchParams.get('op') ?? ''];
    const n = Number(url.searchParams.get('n') ?? '0');
    if (!op || !Number.isInteger(n) || n < 0) return new Response(`ops: ${RUNTIME_CALLS.join(', ')}`, { status: 404 });
    for (let i = 0; i < n; i++) {
      const result = op(request, ctx, env);
      if (result instanceof Promise) await result;
    }
    return new Response(`ran ${n}`);
  },
};
