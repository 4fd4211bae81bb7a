import { getRequestListener, RequestError } from '@hono/node-server';
import { createServer, type RequestListener, type Server } from 'node:http';
import { hash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import type { ExecutionContext, Hono } from 'hono';
import type { AppEnv } from '../src/app-env.ts';
import { createApp } from '../src/app.ts';
import { withHeaders } from '../src/api/answer-headers.ts';
import { errors } from '../src/api/errors.ts';
import { DEFAULT_BODY_TIMEOUT_MS } from '../src/api/read-body.ts';
import type { BreakerOptions } from '../src/health/circuit-breaker.ts';
import { seedKeys, type KeyRecord } from '../src/auth/api-keys.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';
import type { RequestLog } from '../src/observe/request-log.ts';
import { cacheStoreFromEnv } from '../src/cache/l3-store.ts';
import { buildGovernance } from '../src/governance.ts';
import { runHealthProbe } from '../src/health/run-probe.ts';
import { limitCountersFromEnv } from '../src/limits/counters-from-env.ts';
import { storeFromEnv } from '../src/store/select-store.ts';
import type { Store } from '../src/store/store.ts';
import type { Transport } from '../src/backends/transport.ts';
import { BufferedIncomingMessage, restOfRead } from './buffered-incoming.ts';
import { answerClientError, answerConnect, answerExpectation, invalidTarget, LINGER_MS } from './client-error.ts';
import { undiciTransport } from './undici-transport.ts';

export interface NodeGatewayOptions {
  fleet: CompiledFleet;
  port?: number;
  host?: string;
  /** Where secrets and Upstash credentials come from (process.env by default). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Where key and tenant records live when Upstash is not configured and SWITCHYARD_KEYS is not
   * set: `switchyard serve` passes the CLI's key file, read on demand, so keys created, changed
   * or revoked with `switchyard keys` take effect here within about a second.
   */
  keyStore?: Store;
  /** Key records seeded into this process's memory store (tests), when Upstash is not configured. */
  keys?: readonly KeyRecord[];
  keyMemoTtlMs?: number;
  /** How often to check whether keys, tenants or limits changed (default 1000 ms). */
  policyCheckMs?: number;
  log?: (line: RequestLog) => void;
  /** How often to probe every endpoint's /health and /metrics; 0 turns the prober off. */
  probeIntervalMs?: number;
  /** Circuit breaker settings (defaults in src/health/circuit-breaker.ts). */
  breaker?: Partial<BreakerOptions>;
  /** Usage metering and metrics: how long deltas gather before a write (default 1000 ms), or false for off. */
  metrics?: { flushMs?: number } | false;
  /** How long a request body may take to arrive once read before the answer is 408 (default 60 s; src/api/read-body.ts). */
  bodyTimeoutMs?: number;
}

const NODE_EXECUTION_CONTEXT: ExecutionContext = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
};

// One-shot digest: no Hash object per call (a third of createHash's cost for a key-sized input).
const sha256Hex = (key: string) => hash('sha256', key, 'hex');

export interface NodeGateway {
  url: string;
  port: number;
  /** Where its keys are read from, for the startup line. */
  keyStore: 'upstash' | 'env' | 'file' | 'memory';
  close(): Promise<void>;
}

/**
 * Node closes a `Connection: close` socket the moment the answer is written; with the client
 * still sending, the unread bytes make the kernel reset the connection, and a client busy
 * writing its body often sees the reset, not the answer. Like a web server's lingering close,
 * the socket first half-closes and keeps reading (Node's parser discards the rest of the body)
 * until the client hangs up or LINGER_MS pass.
 */
function lingerBeforeClosing(socket: Socket): void {
  socket.destroySoon = function lingeringClose(this: Socket) {
    this.end();
    const timer = setTimeout(() => this.destroy(), LINGER_MS);
    timer.unref();
    this.once('end', () => this.destroy());
    this.once('close', () => clearTimeout(timer));
  };
}

const closingConnection = (response: Response): Response => withHeaders(response, (headers) => headers.set('connection', 'close'));

/** What `serve` runs, before any socket: the app, the listener node:http calls, and what must be stopped. */
export interface NodeGatewayApp {
  app: Hono<AppEnv>;
  listener: RequestListener;
  /** The request class node:http must make for the listener (createServer's `IncomingMessage`). */
  IncomingMessage: typeof BufferedIncomingMessage;
  /** Where its keys are read from, for the startup line. */
  keyStore: NodeGateway['keyStore'];
  /** Stops the prober and closes the upstream connections. */
  close(): Promise<void>;
}

/**
 * The same app as the Worker, on Node: process env → deps, undici for upstreams (or the
 * `transport` given: the in-process benchmark's canned upstream), wrapped in the request
 * listener `serve` hands node:http. No socket is opened here.
 */
export async function nodeGatewayApp(options: NodeGatewayOptions & { transport?: Transport }): Promise<NodeGatewayApp> {
  const env = options.env ?? process.env;
  const store = storeFromEnv(env);
  // Keys: Upstash when configured; else a fixed set from SWITCHYARD_KEYS (tests, benchmarks),
  // seeded into this process's memory; else the key store given (the CLI's key file).
  let keyStore: Store = store;
  if (store.kind === 'memory') {
    const seeded = [...(env['SWITCHYARD_KEYS'] ? (JSON.parse(env['SWITCHYARD_KEYS']) as KeyRecord[]) : []), ...(options.keys ?? [])];
    if (seeded.length > 0) await seedKeys(store, seeded);
    else if (options.keyStore) keyStore = options.keyStore;
  }
  const { keys, tenants, limiter } = buildGovernance({
    fleet: options.fleet,
    store: keyStore,
    counters: limitCountersFromEnv(env),
    hash: sha256Hex,
    ...(options.keyMemoTtlMs === undefined ? {} : { memoTtlMs: options.keyMemoTtlMs }),
    ...(options.policyCheckMs === undefined ? {} : { policyCheckMs: options.policyCheckMs }),
  });
  const l3 = cacheStoreFromEnv(env);
  const upstream = options.transport === undefined ? undiciTransport({ connectMs: options.fleet.routing.timeouts.connectMs }) : undefined;
  const transport: Transport = options.transport ?? (upstream as Transport);
  const secret = (name: string) => env[name];
  const interval = options.probeIntervalMs ?? 10_000;
  const app = createApp({
    fleet: options.fleet,
    keys,
    limiter,
    admin: { keys, tenants },
    transport,
    secret,
    store,
    // The snapshot lives in this process's store (or Upstash): reading it often is cheap.
    healthMemoMs: 1_000,
    // No Cache API on Node, so no L2: L1 (this process's memory), then L3 when Upstash is set.
    cache: { sha256: sha256Hex, ...(l3 ? { store: l3 } : {}) },
    ...(options.log ? { log: options.log } : {}),
    ...(interval > 0 ? { probeIntervalMs: interval } : {}),
    ...(options.breaker ? { breaker: options.breaker } : {}),
    ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
    metrics: options.metrics ?? (env['SWITCHYARD_METERING'] === 'false' ? false : { flushMs: Number(env['SWITCHYARD_METRICS_FLUSH_MS'] ?? 1_000) }),
  });
  // The same prober the Worker's cron runs, on an interval: one round at a time. Its requests
  // close their connections once answered: rounds are further apart than servers (and undici)
  // keep an idle connection, so a kept one would only be closed seconds later, by a timer that
  // wakes an idle gateway for nothing.
  const probeTransport: Transport = (request) => transport({ ...request, headers: { ...request.headers, connection: 'close' } });
  let probing: Promise<unknown> = Promise.resolve();
  const probe = () => {
    probing = runHealthProbe({ fleet: options.fleet, transport: probeTransport, store, secret }).catch((error: unknown) => console.error('health probe failed', error));
  };
  const timer = interval > 0 ? setInterval(probe, interval) : undefined;
  timer?.unref();
  if (interval > 0) probe();
  return {
    app,
    listener: gatewayListener(app, options.host ?? '127.0.0.1'),
    IncomingMessage: BufferedIncomingMessage,
    keyStore: store.kind === 'upstash' ? 'upstash' : env['SWITCHYARD_KEYS'] ? 'env' : keyStore === store ? 'memory' : 'file',
    close: async () => {
      clearInterval(timer);
      await probing;
      await upstream?.close();
    },
  };
}

/**
 * The app as a node:http request listener (@hono/node-server's), with what Node leaves to it:
 * the Host check, and a connection answered before its body arrived told to close.
 */
export function gatewayListener(app: Hono<AppEnv>, hostname: string): RequestListener {
  // An execution context like the Worker's, so deferred work (`waitUntil`) takes the same path
  // on Node; a detached promise is all Node needs to finish it.
  return getRequestListener(
    async (request, { incoming }) => {
      // HTTP/1.1 requires Host (RFC 9112 §3.2); Node's own check answers with an empty 400, so it is off and made here.
      if (incoming.headers.host === undefined && incoming.httpVersion === '1.1') return invalidTarget();
      const parsed = restOfRead(incoming);
      if (parsed !== undefined) await parsed;
      const response = await app.fetch(request, undefined, NODE_EXECUTION_CONTEXT);
      // Answered before its body arrived (refused unread, or over the limit): the rest of that body is
      // drained only briefly and the connection then closed, so the client is told not to reuse it.
      if (incoming.complete) return response;
      lingerBeforeClosing(incoming.socket);
      return closingConnection(response);
    },
    {
      hostname,
      // The adapter refuses a target it cannot make a URL of; anything else thrown here escaped the app's onError.
      errorHandler: (error) => {
        if (error instanceof RequestError) return invalidTarget();
        console.error(JSON.stringify({ error: String(error), stack: error instanceof Error ? error.stack : undefined }));
        return errors.internal().toResponse();
      },
    },
  );
}

/** `switchyard serve`: the gateway app on a node:http server. */
export async function startNodeGateway(options: NodeGatewayOptions): Promise<NodeGateway> {
  const host = options.host ?? '127.0.0.1';
  const gateway = await nodeGatewayApp(options);
  // Node's own bound on receiving a whole request (300 s by default) stays the outer one: a
  // longer body timeout than that would never be reached.
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
  const server: Server = createServer({ IncomingMessage: gateway.IncomingMessage, requireHostHeader: false, requestTimeout: Math.max(300_000, bodyTimeoutMs + 60_000) }, gateway.listener);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  // Requests Node's parser refuses get OpenAI's error shape too, not a bare status line; so do CONNECT,
  // which Node never routes, and an Expect Node cannot meet.
  server.on('clientError', answerClientError);
  server.on('connect', answerConnect);
  server.on('checkExpectation', answerExpectation);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    keyStore: gateway.keyStore,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
    },
  };
}
