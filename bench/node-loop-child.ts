// One process of `npm run bench -- node-loop`: a Node request listener driven in-process, with
// no socket and a canned upstream, so its CPU per request is the code's own.
//
//   node bench/node-loop-child.ts --variant gateway|floor --root <dir> --setup <file.json>
//
// Each request is a node:http IncomingMessage (headers as the parser leaves them, the body pushed
// whole and the message complete) and a ServerResponse with no socket (what it writes is buffered
// and dropped), handed to the listener `serve` gives node:http (node/server.ts's
// `nodeGatewayApp`, from the tree at --root: this checkout or a baseline's), or to the Hono floor
// (bench/hono-floor.ts with the upstream call canned). A macrotask follows every answer, as
// between requests on a socket, so work deferred to after the answer runs inside the loop too.
// A small control server on loopback: POST /run?n=<n> runs n requests and answers
// {"cpuUs", "wallUs"} per request (process.cpuUsage and the wall clock over the loop only);
// with &profile=<file>&sampling=<µs>, under V8's CPU profiler (node:inspector), written to the file.
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createServer, IncomingMessage, ServerResponse, type RequestListener } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Transport, UpstreamResponse } from '../src/backends/transport.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';

export interface LoopSetup {
  fleet: CompiledFleet;
  /** The key record (seeded as SWITCHYARD_KEYS would be) and the key the requests carry. */
  record: unknown;
  key: string;
  path: string;
  body: string;
  /** The canned upstream answer: a chat completion as the simulator sends it. */
  upstream: string;
}

const { values } = parseArgs({ options: { variant: { type: 'string' }, root: { type: 'string' }, setup: { type: 'string' } } });
const variant = values.variant;
if ((variant !== 'gateway' && variant !== 'floor') || values.root === undefined || values.setup === undefined) {
  console.error('usage: node bench/node-loop-child.ts --variant gateway|floor --root <dir> --setup <file.json>');
  process.exit(2);
}
const setup = JSON.parse(readFileSync(values.setup, 'utf8')) as LoopSetup;
const answer = new TextEncoder().encode(setup.upstream);

/** Every upstream call answered at once with the canned bytes (what undici's Pool hands the gateway, minus the socket). */
const cannedTransport: Transport = async () => {
  const response: UpstreamResponse = {
    status: 200,
    header: (name) => (name === 'content-type' ? 'application/json' : name === 'content-length' ? String(answer.byteLength) : null),
    bytes: async () => answer,
    reader: () => {
      let done = false;
      return { read: async () => (done ? { done: true } : ((done = true), { done: false, value: answer })), cancel: async () => {} };
    },
    discard: () => {},
  };
  return response;
};

/** The Hono floor's route (bench/hono-floor.ts) with the upstream call canned. */
function floorListener(): RequestListener {
  const app = new Hono();
  app.post(setup.path, async (c) => {
    await c.req.text();
    const upstream = await cannedTransport({ url: 'http://upstream', method: 'POST', headers: {}, connectMs: 0, firstByteMs: 0 });
    return c.body(new Uint8Array(await upstream.bytes()), 200, { 'content-type': upstream.header('content-type') ?? 'application/json' });
  });
  return getRequestListener(app.fetch);
}

interface NodeServerModule {
  nodeGatewayApp?: (options: Record<string, unknown>) => Promise<{ listener: RequestListener; IncomingMessage?: typeof IncomingMessage }>;
}

const load = async <T>(root: string, path: string): Promise<T> => (await import(pathToFileURL(resolve(root, path)).href)) as T;

interface Served {
  listener: RequestListener;
  /** The request class node:http makes for this listener (createServer's `IncomingMessage` option). */
  IncomingMessage: typeof IncomingMessage;
}

/** `serve`'s listener from the tree at `root`, over the benchmark's fleet and key, the request log off. */
async function gatewayListener(root: string): Promise<Served> {
  const env = { SWITCHYARD_KEYS: JSON.stringify([setup.record]) };
  const server = await load<NodeServerModule>(root, 'node/server.ts');
  if (server.nodeGatewayApp !== undefined) {
    const built = await server.nodeGatewayApp({ fleet: setup.fleet, env, probeIntervalMs: 0, transport: cannedTransport });
    return { listener: built.listener, IncomingMessage: built.IncomingMessage ?? IncomingMessage };
  }
  return { listener: await olderGatewayListener(root, env), IncomingMessage };
}

/**
 * A tree from before node/server.ts exported `nodeGatewayApp` (a baseline such as main before
 * this benchmark): its app built with the deps its `startNodeGateway` gave it, behind the
 * listener that function made (the Host check, app.fetch, a close for an incomplete body:
 * here never).
 */
async function olderGatewayListener(root: string, env: Record<string, string>): Promise<RequestListener> {
  const { createApp } = await load<typeof import('../src/app.ts')>(root, 'src/app.ts');
  const { buildGovernance } = await load<typeof import('../src/governance.ts')>(root, 'src/governance.ts');
  const { limitCountersFromEnv } = await load<typeof import('../src/limits/counters-from-env.ts')>(root, 'src/limits/counters-from-env.ts');
  const { storeFromEnv } = await load<typeof import('../src/store/select-store.ts')>(root, 'src/store/select-store.ts');
  const { seedKeys } = await load<typeof import('../src/auth/api-keys.ts')>(root, 'src/auth/api-keys.ts');
  const { hash } = await import('node:crypto');
  const sha256Hex = (key: string) => hash('sha256', key, 'hex');
  const store = storeFromEnv(env);
  await seedKeys(store, [setup.record] as Parameters<typeof seedKeys>[1]);
  const { keys, tenants, limiter } = buildGovernance({ fleet: setup.fleet, store, counters: limitCountersFromEnv(env), hash: sha256Hex });
  const app = createApp({ fleet: setup.fleet, keys, limiter, admin: { keys, tenants }, transport: cannedTransport, secret: () => undefined, store, healthMemoMs: 1_000, cache: { sha256: sha256Hex }, metrics: { flushMs: 1_000 } });
  const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
  return getRequestListener(
    async (request, { incoming }) => {
      if (incoming.headers.host === undefined && incoming.httpVersion === '1.1') throw new Error('no Host');
      return app.fetch(request, undefined, ctx);
    },
    { hostname: '127.0.0.1' },
  );
}

const served: Served = variant === 'gateway' ? await gatewayListener(values.root) : { listener: floorListener(), IncomingMessage };
const listener = served.listener;
const socket = new Socket();
const body = Buffer.from(setup.body);
const rawHeaders = ['Host', '127.0.0.1', 'Content-Type', 'application/json', 'Authorization', `Bearer ${setup.key}`, 'Content-Length', String(body.byteLength), 'Connection', 'keep-alive'];
const nextTurn = () => new Promise<void>((done) => setImmediate(done));

/** One request through the listener; the response's status and what it wrote. */
async function exchange(): Promise<{ status: number; written: string }> {
  const incoming = new served.IncomingMessage(socket);
  incoming.method = 'POST';
  incoming.url = setup.path;
  incoming.httpVersion = '1.1';
  incoming.httpVersionMajor = 1;
  incoming.httpVersionMinor = 1;
  // What node:http's parser does with a request's header lines (headers are then built lazily from them).
  (incoming as unknown as { _addHeaderLines(headers: string[], n: number): void })._addHeaderLines(rawHeaders, rawHeaders.length);
  incoming.push(body);
  incoming.push(null);
  incoming.complete = true;
  const outgoing = new ServerResponse(incoming);
  await (listener(incoming, outgoing) as unknown as Promise<void>);
  const data = (outgoing as unknown as { outputData: { data: string | Uint8Array }[] }).outputData;
  return { status: outgoing.statusCode, written: data.map((d) => (typeof d.data === 'string' ? d.data : Buffer.from(d.data).toString())).join('') };
}

async function run(n: number): Promise<{ cpuUs: number; wallUs: number }> {
  const first = await exchange();
  if (first.status !== 200 || !first.written.includes('"choices"')) throw new Error(`the ${variant} answered ${first.status}: ${first.written.slice(0, 400)}`);
  await nextTurn();
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const { status } = await exchange();
    if (status !== 200) throw new Error(`request ${i + 1} of ${n} answered ${status}`);
    await nextTurn();
  }
  const wallUs = ((performance.now() - t0) * 1000) / n;
  const used = process.cpuUsage(cpu);
  return { cpuUs: (used.user + used.system) / n, wallUs };
}

/** `run(n)` under V8's sampling profiler (started after the warm-up the caller ran), written to `file`. */
async function profiled(n: number, file: string, samplingUs: number): Promise<{ cpuUs: number; wallUs: number }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: samplingUs });
  await session.post('Profiler.start');
  const result = await run(n);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(file, JSON.stringify(profile));
  return result;
}

const control = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://control');
  if (req.method === 'POST' && url.pathname === '/run') {
    const n = Number(url.searchParams.get('n') ?? '1000');
    const profile = url.searchParams.get('profile');
    (profile === null ? run(n) : profiled(n, profile, Number(url.searchParams.get('sampling') ?? '50'))).then(
      (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
      (error: unknown) => res.writeHead(500).end(error instanceof Error ? (error.stack ?? error.message) : String(error)),
    );
    return;
  }
  res.writeHead(404).end();
});
control.listen(0, '127.0.0.1', () => console.log(`node loop (${variant}) ready on http://127.0.0.1:${(control.address() as AddressInfo).port}`));
