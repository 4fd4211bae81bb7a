// The floor of any gateway built as Switchyard is (Hono on @hono/node-server, undici Pool out):
// the same request path with no logic at all. Its CPU per request next to the bare proxy's
// (bench/bare-proxy.ts) is what the framework alone costs, before auth, routing or metering.
//
//   node bench/hono-floor.ts --upstream http://127.0.0.1:8000 [--port 0] [--connections 128]
//
// Prints `hono floor on http://127.0.0.1:PORT → UPSTREAM` once listening.
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { proxyArgs } from './lib/proxy-args.ts';

const { upstream, port, host, connections } = proxyArgs('bench/hono-floor.ts');
const pool = new Pool(upstream, { connections, pipelining: 1 });

const app = new Hono();
app.post('/v1/chat/completions', async (c) => {
  const body = await c.req.text();
  const answer = await pool.request({ path: c.req.path, method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 30_000, bodyTimeout: 0 });
  const bytes = new Uint8Array(await answer.body.arrayBuffer());
  const type = answer.headers['content-type'];
  return c.body(bytes, answer.statusCode as ContentfulStatusCode, { 'content-type': typeof type === 'string' ? type : 'application/json' });
});

const server = createServer(getRequestListener(app.fetch));
server.listen(port, host, () => {
  console.log(`hono floor on http://${host}:${(server.address() as AddressInfo).port} → ${upstream}`);
});
