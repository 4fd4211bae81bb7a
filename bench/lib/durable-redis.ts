// A redis-server that keeps its data across a stop and a start (append-only file in a temp
// dir), behind the Upstash REST bridge: the key store and cache of a gateway under test, which
// a benchmark can stop and start again mid-run the way a managed Redis restarts, data intact.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NODE, onCleanup, start, stop, type Child } from './children.ts';
import { BRIDGE_TOKEN } from './redis-bridge.ts';

export interface DurableRedis {
  /** UPSTASH_REDIS_REST_URL / _TOKEN for the gateway. */
  readonly url: string;
  readonly token: string;
  readonly redisPort: number;
  readonly commands: string[];
  /** SIGTERM: redis-server flushes its append-only file and exits; the bridge stays up. */
  stopRedis(): Promise<void>;
  /** Starts redis-server again on the same port and dir; resolves once it accepts connections. */
  startRedis(): Promise<void>;
}

export async function startDurableRedis(): Promise<DurableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-redis-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const redisPort = await freePort();
  const args = ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  let redis: Child | undefined;
  const startRedis = async () => {
    redis = start('redis-server', 'redis-server', args);
    await redis.waitForLine(/Ready to accept connections/, 15_000);
  };
  await startRedis();
  const bridge = start('redis bridge', NODE, ['infra/local/redis-bridge.ts', '--token', BRIDGE_TOKEN, '--port', '0', '--redis-port', String(redisPort)]);
  const url = (await bridge.waitForLine(/redis-bridge ready: (http:\/\/[\d.]+:\d+)/, 30_000))[1] ?? '';
  return {
    url,
    token: BRIDGE_TOKEN,
    redisPort,
    commands: [`redis-server ${args.join(' ').replace(dir, '<temp dir>')}`, bridge.command],
    stopRedis: async () => {
      if (redis) await stop(redis, 'SIGTERM', 5000);
      redis = undefined;
    },
    startRedis,
  };
}
