import { parseArgs } from 'node:util';

export interface ProxyArgs {
  /** The upstream's origin. */
  upstream: string;
  port: number;
  host: string;
  /** Keep-alive connections of the upstream pool. */
  connections: number;
}

/**
 * The command line of the benchmark's reference proxies (bench/bare-proxy.ts, bench/hono-floor.ts):
 * `--upstream http://HOST:PORT [--port N] [--host H] [--connections N]`. Exits with the usage line
 * when --upstream is missing.
 */
export function proxyArgs(script: string): ProxyArgs {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      connections: { type: 'string', default: '128' },
    },
  });
  if (!values.upstream) {
    console.error(`usage: node ${script} --upstream http://HOST:PORT [--port N] [--host H] [--connections N]`);
    process.exit(2);
  }
  const connections = Number(values.connections);
  if (!Number.isInteger(connections) || connections < 1) throw new Error('--connections must be a positive integer');
  return { upstream: new URL(values.upstream).origin, port: Number(values.port), host: values.host, connections };
}
