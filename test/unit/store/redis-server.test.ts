// The throwaway redis-server helper and the bridge's command-line entry used by the dev stack.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startRedisBridge, startRedisServer } from '../../../infra/local/redis-bridge.ts';

describe('startRedisServer', () => {
  it('starts a redis-server that answers PING, without persistence, and stops it', async () => {
    const server = await startRedisServer();
    const client = new Redis({ port: server.port, lazyConnect: true, retryStrategy: () => null });
    client.on('error', () => {});
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'save')).toEqual(['save', '']);
    expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'no']);
    const [, dir] = (await client.config('GET', 'dir')) as [string, string];
    expect(existsSync(dir)).toBe(true);
    client.disconnect();
    await server.close();
    expect(existsSync(dir)).toBe(false);
    const after = new Redis({ port: server.port, lazyConnect: true, retryStrategy: () => null });
    after.on('error', () => {});
    await expect(after.connect()).rejects.toThrow();
  });

  it('says how to install redis-server when the binary is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedisServer()).rejects.toThrow(/redis-server was not found: install it with `apt-get install -y redis-server`/);
    } finally {
      process.env.PATH = path;
    }
  });
});

describe('startRedisBridge', () => {
  it('fails fast, naming the address, when redis-server cannot be reached', async () => {
    await expect(startRedisBridge({ redisPort: 1, token: 't' })).rejects.toThrow(/^cannot reach redis-server at 127\.0\.0\.1:1: .*ECONNREFUSED/);
    await expect(startRedisBridge({ redisPort: 1, token: '' })).rejects.toThrow(/non-empty token/);
  });
});

describe('redis-bridge command line', () => {
  it('starts its own redis-server, serves REST until SIGTERM, then stops both', { timeout: 20_000 }, async () => {
    const child = spawn('node_modules/.bin/node', ['infra/local/redis-bridge.ts', '--token', 'cli-token'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout });
    const ready = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`bridge exited with ${code}`)));
    });
    const match = /^redis-bridge ready: (http:\/\/127\.0\.0\.1:\d+) -> redis:\/\/127\.0\.0\.1:(\d+)$/.exec(ready);
    expect(match).not.toBeNull();
    const [, url = '', redisPort = ''] = match ?? [];
    const response = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer cli-token' }, body: '["PING"]' });
    expect(await response.json()).toEqual({ result: 'PONG' });

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const redis = new Redis({ port: Number(redisPort), lazyConnect: true, retryStrategy: () => null });
    redis.on('error', () => {});
    await expect(redis.connect()).rejects.toThrow();
  });

  it('exits 2 with a one-line message without a token', async () => {
    const child = spawn('node_modules/.bin/node', ['infra/local/redis-bridge.ts', '--redis-port', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^redis-bridge: --token is required/);
  });
});
