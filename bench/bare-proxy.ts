// The bare proxy: the practical ceiling for any Node gateway in front of the simulator.
// node:http in, an undici Pool out (keep-alive), and no logic at all: method, path, headers
// and body go upstream as they came; status, headers and body come back as they came.
//
//   node bench/bare-proxy.ts --upstream http://127.0.0.1:8000 [--port 0] [--connections 128]
//
// Prints `bare proxy on http://127.0.0.1:PORT → UPSTREAM` once listening.
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { proxyArgs } from './lib/proxy-args.ts';

const { upstream, port, host, connections } = proxyArgs('bench/bare-proxy.ts');

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the message; undici
// also refuses some of them. `host` is the upstream's, set by undici.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function endToEnd(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

// Same pool shape as the gateway's own undici transport: keep-alive, no pipelining.
const pool = new Pool(upstream, { connections, pipelining: 1 });

const server = createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
  pool
    .stream(
      {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: endToEnd(req.headers),
        // A request without a body must not be sent with one.
        body: req.headers['content-length'] === '0' || (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) ? null : req,
      },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, endToEnd(headers) as OutgoingHttpHeaders);
        return res;
      },
    )
    .catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `bare proxy: ${String(error)}`, type: 'upstream_error', param: null, code: null } }));
      } else {
        res.destroy();
      }
    });
});

server.listen(port, host, () => {
  console.log(`bare proxy on http://${host}:${(server.address() as AddressInfo).port} → ${upstream} (undici Pool, ${connections} connections)`);
});

const close = () => {
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
};
process.once('SIGINT', close);
process.once('SIGTERM', close);
