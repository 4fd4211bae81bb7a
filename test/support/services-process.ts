// Started as its own Node process by test setups that run under Vite's Workers resolution
// (which cannot load Node-only libraries such as ioredis): starts the simulated federation and
// a redis-server behind the Upstash REST bridge, prints their addresses as one JSON line, and
// shuts everything down on SIGTERM or when its parent goes away.
import { startRedisBridge, startRedisServer } from '../../infra/local/redis-bridge.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';
import { startTestFederation } from './test-federation.ts';

const federation = await startTestFederation();
const redis = await startRedisServer();
const bridge = await startRedisBridge({ redisPort: redis.port, token: 'workerd-test-token' });

const memory = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
const any = await memory.create({ tenant: 'acme', label: 'any region' });
const eu = await memory.create({ tenant: 'acme', label: 'eu only', residency: ['eu'] });
const revoked = await memory.create({ tenant: 'acme', label: 'revoked' });
const other = await memory.create({ tenant: 'globex', label: 'another tenant' });
await memory.revoke(revoked.record.id);
const upstash = new ApiKeys(UpstashStore.connect({ url: bridge.url, token: bridge.token }), { memoTtlMs: 0 });
const redisKey = await upstash.create({ tenant: 'redis-tenant', label: 'stored in redis' });

const shutdown = async () => {
  await bridge.close();
  await redis.close();
  await federation.close();
  process.exit(0);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
process.stdin.on('end', () => void shutdown()); // the parent died: do not outlive it
process.stdin.resume();

process.stdout.write(
  `${JSON.stringify({
    fleet: federation.fleet,
    fleetYaml: federation.yaml,
    secrets: federation.secrets,
    simUrls: Object.fromEntries(Object.entries(federation.sims).map(([k, s]) => [k, s.url])),
    keys: { any: any.key, eu: eu.key, revoked: revoked.key, other: other.key, records: await memory.list() },
    redis: { url: bridge.url, token: bridge.token, key: redisKey.key },
  })}\n`,
);
