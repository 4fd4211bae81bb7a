// A real redis-server behind the real REST bridge, started per test file.
import { startRedisBridge, startRedisServer, type RedisBridge, type RedisServer } from '../../../infra/local/redis-bridge.ts';

export interface RealRedis {
  server: RedisServer;
  bridge: RedisBridge;
  /** Sends one command to the bridge as a REST client would, and returns its `result`. */
  command(args: (string | number)[]): Promise<unknown>;
  close(): Promise<void>;
}

export async function startRealRedis(): Promise<RealRedis> {
  // Fails with "redis-server was not found: install it with ..." when the binary is missing.
  const server = await startRedisServer();
  const bridge = await startRedisBridge({ redisPort: server.port, token: 'test-token' }).catch(async (error: unknown) => {
    await server.close();
    throw error;
  });
  return {
    server,
    bridge,
    async command(args) {
      const response = await fetch(bridge.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${bridge.token}` },
        body: JSON.stringify(args),
      });
      const body = (await response.json()) as { result?: unknown; error?: string };
      if (body.error !== undefined) throw new Error(body.error);
      return body.result;
    },
    async close() {
      await bridge.close();
      await server.close();
    },
  };
}
