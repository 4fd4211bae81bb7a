// A throwaway redis-server for tests and the dev stack: free port, temp dir, no persistence.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface RedisServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** A fixed port; by default a free one is picked. */
  port?: number;
  /** How long to wait for PING to answer. */
  readyTimeoutMs?: number;
}

const INSTALL_HINT = 'install it with `apt-get install -y redis-server` (Debian/Ubuntu) or put it on PATH';

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  // A picked port can be taken between picking and binding: try a few.
  const attempts = options.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    try {
      return await launch(options.port ?? (await freePort()), options.readyTimeoutMs ?? 10_000);
    } catch (error) {
      if (error instanceof RedisMissingError) throw error;
      lastError = error;
    }
  }
  throw lastError;
}

class RedisMissingError extends Error {}

async function launch(port: number, readyTimeoutMs: number): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-2000)));

  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(
        error.code === 'ENOENT'
          ? new RedisMissingError(`redis-server was not found: ${INSTALL_HINT}`)
          : error,
      ),
    );
    child.once('exit', (code, signal) =>
      resolve(new Error(`redis-server exited (${signal ?? code}) before answering PING:\n${output.trim()}`)),
    );
  });

  // If this process exits without calling close() (a crash, process.exit), take redis along.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const close = async () => {
    process.off('exit', killOnExit);
    await stop(child);
    await rm(dir, { recursive: true, force: true });
  };

  const ready = await Promise.race([waitForPing(port, readyTimeoutMs), exited]);
  if (ready instanceof Error) {
    await close();
    throw ready;
  }
  return { port, url: `redis://127.0.0.1:${port}`, close };
}

async function waitForPing(port: number, timeoutMs: number): Promise<true | Error> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => {}); // connection refused while it boots: expected, retried below
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return true;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) return new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not pick a free port'));
      });
    });
  });
}
