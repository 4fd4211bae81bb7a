import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

/** A loopback port that was free a moment ago: nothing listens there (until someone binds it). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The first port the kernel hands out for `listen(0)` and outgoing connections. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 21_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });

/**
 * A loopback port that refuses connections and stays that way: below the kernel's ephemeral
 * range, so no server of a test running in parallel (they all listen on port 0) can take it, as
 * they can take a port `unusedPort()` freed. For an endpoint that must stay down.
 */
export async function refusedPort(): Promise<number> {
  const low = 20_000;
  const span = ephemeralLow() - low;
  for (let i = 0; i < 50; i++) {
    const port = low + Math.floor(Math.random() * span);
    if (await refuses(port)) return port;
  }
  throw new Error(`no refusing loopback port found in ${low}–${low + span - 1}`);
}
