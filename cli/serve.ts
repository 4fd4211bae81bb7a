import { Command, InvalidArgumentError } from 'commander';
import { heapSettingsNote } from '../node/heap-settings.ts';
import { startNodeGateway } from '../node/server.ts';
import { DEFAULT_BODY_TIMEOUT_MS } from '../src/api/read-body.ts';
import { DEFAULT_STORE_FILE, FileStore } from './file-store.ts';
import { loadFleetFile } from './fleet-file.ts';

const port = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
};

/** A whole number of milliseconds, at least `min`. */
const milliseconds = (min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`must be a whole number of milliseconds${min > 0 ? `, at least ${min}` : ''}`);
  return n;
};

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the gateway on Node (same app as the Worker)')
    .option('--fleet <file>', 'fleet file', 'infra/fleet.yaml')
    .option('--port <n>', 'port to listen on', port, 8787)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--keys-file <file>', 'key file written by `switchyard keys`, read live (used without Upstash and SWITCHYARD_KEYS)', DEFAULT_STORE_FILE)
    .option('--no-log', 'do not write a log line per request')
    .option('--probe-interval <ms>', 'how often to probe every endpoint (/health, /metrics); 0 = never', milliseconds(0), 10_000)
    .option('--body-timeout <ms>', 'how long a request body may take to arrive before the answer is 408 request_timeout', milliseconds(1), DEFAULT_BODY_TIMEOUT_MS)
    .action(async (opts: { fleet: string; port: number; host: string; keysFile: string; log: boolean; probeInterval: number; bodyTimeout: number }) => {
      const { compiled } = loadFleetFile(opts.fleet);
      const gateway = await startNodeGateway({
        fleet: compiled,
        port: opts.port,
        host: opts.host,
        keyStore: new FileStore(opts.keysFile),
        probeIntervalMs: opts.probeInterval,
        bodyTimeoutMs: opts.bodyTimeout,
        ...(opts.log ? { log: (line) => console.log(JSON.stringify(line)) } : {}),
      });
      const store = {
        upstash: 'Upstash Redis',
        env: 'in-memory (the records in SWITCHYARD_KEYS)',
        file: `the key file ${opts.keysFile} (read live: \`switchyard keys\` changes apply within a second)`,
        memory: 'in-memory',
      }[gateway.keyStore];
      console.log(`switchyard gateway on ${gateway.url} — fleet ${opts.fleet}, key store ${store}; ${heapSettingsNote()}`);
      const stop = () => void gateway.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
