// The floor of any gateway built as Switchyard is (Hono on @hono/node-server, undici Pool out):
// the same request path with no logic at all. Its CPU per request next to the bare proxy's
// (bench/bare-proxy.ts) is what the framework alone costs, before auth, routing or metering.
//
//   node bench/hono-floor.ts --upstream http://127.0.0.1:8000 [--port 0] [--connections 128]
//
// Prints `hono floor on http://127.0.0.1:PORT → UPSTREAM` once listening.
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    connections: { type: 'string', default: '128' },
  },
});
if (!values.upstream) {
  console.error('usage: node bench/hono-floor.ts --upstream http://HOST:PORT [--port N] [--connections N]');
  process.exit(2);
}
const upstream = new URL(values.upstream).origin;
const pool = new Pool(upstream, { connections: Number(values.connections), pipelining: 1 });

const app = new Hono();
app.post('/v1/chat/completions', async (c) => {
  const body = await c.req.text();
  const answer = await pool.request({ path: c.req.path, method: 'POST', headers: { 'content-type': 'application/json' }, body, headersTimeout: 30_000, bodyTimeout: 0 });
  const bytes = new Uint8Array(await answer.body.arrayBuffer());
  const type = answer.headers['content-type'];
  return c.body(bytes, answer.statusCode as 200, { 'content-type': typeof type === 'string' ? type : 'application/json' });
});

const server = createServer(getRequestListener(app.fetch));
server.listen(Number(values.port), values.host, () => {
  console.log(`hono floor on http://${values.host}:${(server.address() as AddressInfo).port} → ${upstream}`);
});
