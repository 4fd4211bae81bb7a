// `switchyard serve`'s gateway in this process over the local fleet, with one key and its
// request log kept, for the tests of how it meets clients on the wire.
import { afterAll, beforeAll } from 'vitest';
import { startNodeGateway, type NodeGateway, type NodeGatewayOptions } from '../../../node/server.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { localFleet } from '../core/fixtures.ts';

export interface GatewayFixture {
  readonly gateway: NodeGateway;
  /** A valid API key (tenant acme). */
  readonly key: string;
  /** Every request log line, in order. */
  readonly logs: RequestLog[];
}

/** Starts the gateway before the file's tests and closes it after them; `options` add to the defaults. */
export function useNodeGateway(options: Partial<NodeGatewayOptions> = {}): GatewayFixture {
  const logs: RequestLog[] = [];
  let gateway: NodeGateway | undefined;
  let key = '';
  beforeAll(async () => {
    const created = await new ApiKeys(new MemoryStore()).create({ tenant: 'acme' });
    key = created.key;
    gateway = await startNodeGateway({ fleet: localFleet(), keys: [created.record], env: {}, probeIntervalMs: 0, metrics: false, log: (line) => logs.push(line), ...options });
  });
  afterAll(async () => {
    await gateway?.close();
  });
  return {
    get gateway() {
      if (gateway === undefined) throw new Error('the gateway starts before the tests (beforeAll)');
      return gateway;
    },
    get key() {
      return key;
    },
    logs,
  };
}
