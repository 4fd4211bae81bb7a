// Many servers out of one: listens on --count ports of 127.0.0.1 and pipes every connection to
// the upstream port, bytes as they are. A fleet whose endpoints each name one of these ports
// looks, to the gateway, like that many servers (its prober checks each one), while a single
// simulator answers them all. bench/scale.ts uses it for idle CPU with one server per endpoint.
//
//   node bench/port-fanout.ts --upstream http://127.0.0.1:8000 --count 300
//
// Prints `port fan-out ports P1,P2,…` once every port listens.
import { connect, createServer, type AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { upstream: { type: 'string' }, count: { type: 'string', default: '300' } } });
const upstream = values.upstream ? new URL(values.upstream) : undefined;
const count = Number(values.count);
if (!upstream || !Number.isInteger(count) || count < 1 || count > 5000) {
  console.error('usage: node bench/port-fanout.ts --upstream http://HOST:PORT --count N (1..5000)');
  process.exit(2);
}

const ports: number[] = [];
for (let i = 0; i < count; i++) {
  const server = createServer((client) => {
    const target = connect(Number(upstream.port), upstream.hostname);
    client.pipe(target).pipe(client);
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  ports.push((server.address() as AddressInfo).port);
}
console.log(`port fan-out ports ${ports.join(',')}`);
