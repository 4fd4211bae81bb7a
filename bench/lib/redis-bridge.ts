// The Upstash REST bridge as a benchmark child, with its own throwaway redis-server: in its
// own process, so Redis work is not on the load generator's event loop.
import { NODE, start, type Child } from './children.ts';

export const BRIDGE_TOKEN = 'bench-token';

export async function startBridge(): Promise<{ child: Child; url: string; token: string; command: string }> {
  const child = start('redis bridge', NODE, ['infra/local/redis-bridge.ts', '--token', BRIDGE_TOKEN, '--port', '0']);
  const url = (await child.waitForLine(/redis-bridge ready: (http:\/\/[\d.]+:\d+)/, 30_000))[1] ?? '';
  return { child, url, token: BRIDGE_TOKEN, command: `${child.command}   # starts a throwaway redis-server (no persistence) behind it` };
}
