// An Upstash-compatible REST bridge in front of a real redis-server, so the real
// @upstash/redis client (and @upstash/ratelimit) can be tested and developed against locally.
//
//   POST /            ["SET","k","v"]            → {"result":"OK"}  | 400 {"error":"ERR ..."}
//   POST /pipeline    [["SET","k","v"],["GET","k"]] → [{"result":...},{"error":...}]
//   POST /multi-exec  same shape, run in MULTI/EXEC
//   Authorization: Bearer <token> (401 otherwise); `Upstash-Encoding: base64` base64-encodes
//   every string in the result, byte-exact (replies are read as raw Buffers).
//
// CLI (dev stack): node infra/local/redis-bridge.ts --token T [--port M] [--redis-port N | --redis-url U]
// Without --redis-port/--redis-url it starts its own throwaway redis-server.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Redis, ReplyError } from 'ioredis';
import { z } from 'zod';
import { LuaShebangs, type PreparedCommand } from './lua-shebang.ts';
import { encodeReply, type JsonReply } from './redis-reply.ts';
import { startRedisServer } from './redis-server.ts';

export { startRedisServer, type RedisServer } from './redis-server.ts';

export interface RedisBridgeOptions {
  /** The bearer token clients must present. */
  token: string;
  /** Where redis-server listens: a redis:// URL, or a port on 127.0.0.1. */
  redisUrl?: string;
  redisPort?: number;
  /** The bridge's own port; 0 or absent picks a free one. */
  port?: number;
  host?: string;
}

export interface RedisBridge {
  /** Use as UPSTASH_REDIS_REST_URL. */
  url: string;
  /** Use as UPSTASH_REDIS_REST_TOKEN. */
  token: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

// Commands that would change the state of the one connection every request shares.
const CONNECTION_STATE_COMMANDS = new Set([
  'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SUNSUBSCRIBE',
  'MONITOR', 'QUIT', 'RESET', 'SELECT', 'HELLO', 'AUTH', 'CLIENT',
  'MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH',
]);

const commandSchema = z
  .array(z.union([z.string(), z.number(), z.boolean()]))
  .min(1)
  .transform((args) => args.map(String));
const commandListSchema = z.array(commandSchema);

type Entry = { result: JsonReply } | { error: string };

class BadRequest extends Error {}

export async function startRedisBridge(options: RedisBridgeOptions): Promise<RedisBridge> {
  if (options.token === '') throw new Error('the bridge needs a non-empty token');
  // RESP2: Upstash's REST API answers with RESP2 shapes (flat HGETALL, scores as strings),
  // and ioredis would otherwise speak RESP3.
  const connection = { protocol: 2, lazyConnect: true } as const;
  const redis =
    options.redisUrl === undefined
      ? new Redis({ host: '127.0.0.1', port: requiredPort(options.redisPort), ...connection })
      : new Redis(options.redisUrl, connection);
  // The first connection fails fast (ioredis would retry forever); later drops reconnect.
  await new Promise<void>((resolve, reject) => {
    const fail = (error: Error) => {
      redis.disconnect();
      reject(new Error(`cannot reach redis-server at ${options.redisUrl ?? `127.0.0.1:${options.redisPort}`}: ${error.message}`));
    };
    redis.once('error', fail);
    redis.connect().then(() => {
      redis.off('error', fail);
      resolve();
    }, fail);
  });
  redis.on('error', (error: Error) => console.error(`redis-bridge: redis connection: ${error.message}`));

  const scripts = new LuaShebangs();
  const expectedToken = digest(options.token);

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!res.headersSent) send(res, 500, { error: `ERR bridge: ${message}` });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!authorized(req.headers.authorization, expectedToken)) return send(res, 401, { error: 'Unauthorized' });
    if (req.method !== 'POST') return send(res, 405, { error: 'ERR only POST is supported' });
    const path = new URL(req.url ?? '/', 'http://bridge').pathname.replace(/\/+$/, '');
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64';
    try {
      const body = await readJson(req);
      if (path === '') return send(res, ...(await single(parse(commandSchema, body), base64)));
      if (path === '/pipeline') return send(res, 200, await pipeline(parse(commandListSchema, body), base64));
      if (path === '/multi-exec') return send(res, ...(await multiExec(parse(commandListSchema, body), base64)));
      return send(res, 404, { error: `ERR unknown endpoint ${path}` });
    } catch (error) {
      if (error instanceof BadRequest) return send(res, 400, { error: error.message });
      throw error;
    }
  }

  async function single(args: string[], base64: boolean): Promise<[number, Entry]> {
    const prepared = scripts.prepare(args);
    const refused = refusal(prepared.args);
    if (refused !== undefined) return [400, { error: refused }];
    try {
      const [name, ...rest] = upper(prepared.args);
      return [200, entry(prepared, null, await redis.callBuffer(name, ...rest), base64)];
    } catch (error) {
      if (isReplyError(error)) return [400, { error: error.message }];
      throw error;
    }
  }

  async function pipeline(commands: string[][], base64: boolean): Promise<Entry[]> {
    const prepared = commands.map((args) => scripts.prepare(args));
    const batch = redis.pipeline();
    for (const command of prepared) {
      if (refusal(command.args) === undefined) {
        const [name, ...rest] = upper(command.args);
        batch.callBuffer(name, ...rest);
      }
    }
    const results = (await batch.exec()) ?? [];
    let next = 0;
    return prepared.map((command) => {
      const refused = refusal(command.args);
      if (refused !== undefined) return { error: refused };
      const [error, reply] = results[next++] ?? [new Error('ERR missing pipeline reply'), null];
      return entry(command, error, reply, base64);
    });
  }

  async function multiExec(commands: string[][], base64: boolean): Promise<[number, Entry | Entry[]]> {
    const prepared = commands.map((args) => scripts.prepare(args));
    // A transaction is all or nothing: one refused command refuses the whole of it.
    for (const command of prepared) {
      const refused = refusal(command.args);
      if (refused !== undefined) return [400, { error: refused }];
    }
    if (prepared.length === 0) return [200, []];
    const transaction = redis.multi();
    for (const command of prepared) {
      const [name, ...rest] = upper(command.args);
      transaction.callBuffer(name, ...rest);
    }
    try {
      const results = (await transaction.exec()) ?? [];
      return [200, prepared.map((command, i) => {
        const [error, reply] = results[i] ?? [new Error('ERR missing transaction reply'), null];
        return entry(command, error, reply, base64);
      })];
    } catch (error) {
      // EXECABORT: a command was rejected while queueing, so nothing ran.
      if (isReplyError(error)) return [400, { error: error.message }];
      throw error;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    token: options.token,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // QUIT would wait for a redis-server that is gone (ioredis queues it until a reconnect).
      if (redis.status === 'ready') await redis.quit();
      else redis.disconnect();
    },
  };
}

function entry(command: PreparedCommand, error: Error | null, reply: unknown, base64: boolean): Entry {
  if (error !== null) return { error: error.message };
  return { result: encodeReply(command.reply ?? reply, base64) };
}

/**
 * Upper-casing the name matters: ioredis reshapes some replies by lower-case command name
 * (HGETALL into an object), and the REST API must return Redis's own flat replies.
 */
function upper(args: string[]): [string, ...string[]] {
  const [name = '', ...rest] = args;
  return [name.toUpperCase(), ...rest];
}

/** An error Redis itself answered (as opposed to a broken connection). ioredis types ReplyError as any. */
function isReplyError(error: unknown): error is Error {
  return error instanceof (ReplyError as ErrorConstructor);
}

function refusal(args: string[]): string | undefined {
  const name = args[0]?.toUpperCase() ?? '';
  return CONNECTION_STATE_COMMANDS.has(name) ? `ERR command ${name} is not supported by the REST bridge` : undefined;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new BadRequest('ERR request body must be a command (a non-empty JSON array of strings and numbers)' +
      ' or, for /pipeline and /multi-exec, an array of commands');
  }
  return parsed.data;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`ERR request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BadRequest('ERR request body is not valid JSON');
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  // Hashing first gives equal lengths, so the comparison time says nothing about the token.
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function requiredPort(port: number | undefined): number {
  if (port === undefined) throw new Error('startRedisBridge needs redisUrl or redisPort');
  return port;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      token: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'redis-port': { type: 'string' },
      'redis-url': { type: 'string' },
    },
  });
  const usage = 'usage: node infra/local/redis-bridge.ts --token T [--port M] [--host H] [--redis-port N | --redis-url U]';
  if (values.token === undefined || values.token === '') throw new Error(`--token is required\n${usage}`);
  const port = values.port === undefined ? 0 : portNumber(values.port, '--port');
  const own = values['redis-port'] === undefined && values['redis-url'] === undefined ? await startRedisServer() : undefined;
  const redisUrl = own?.url ?? values['redis-url'] ?? `redis://127.0.0.1:${portNumber(values['redis-port'] ?? '', '--redis-port')}`;
  let bridge: RedisBridge;
  try {
    bridge = await startRedisBridge({ token: values.token, port, redisUrl, ...(values.host === undefined ? {} : { host: values.host }) });
  } catch (error) {
    await own?.close();
    throw error;
  }
  console.log(`redis-bridge ready: ${bridge.url} -> ${redisUrl}`);
  const shutdown = async () => {
    await bridge.close();
    await own?.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

function portNumber(text: string, flag: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${flag} must be a port number, got ${JSON.stringify(text)}`);
  return port;
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    console.error(`redis-bridge: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  });
}
