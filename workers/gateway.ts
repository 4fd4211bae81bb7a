import type { Hono } from 'hono';
import { createApp } from '../src/app.ts';
import type { AppEnv } from '../src/app-env.ts';
import { seedKeys } from '../src/auth/api-keys.ts';
import { fetchTransport } from '../src/backends/fetch-transport.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';
import { cacheStoreFromEnv } from '../src/cache/l3-store.ts';
import { buildGovernance } from '../src/governance.ts';
import { runHealthProbe } from '../src/health/run-probe.ts';
import { limitCountersFromEnv } from '../src/limits/counters-from-env.ts';
import { storeFromEnv } from '../src/store/select-store.ts';
import type { Store } from '../src/store/store.ts';
import compiledFleet from './fleet.generated.json' with { type: 'json' };

/** Bindings and secrets: Upstash credentials, dev keys, and each region's upstream secret by name. */
export interface Env {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** JSON array of key records (hashes only) seeded into the in-memory store, e.g. the dev stack's key. */
  SWITCHYARD_KEYS?: string;
  /** Seconds a verified key may be answered from isolate memory when the store cannot be read (default 30). */
  SWITCHYARD_KEY_MEMO_SECONDS?: string;
  /** How often each isolate checks whether keys, tenants or limits changed, in ms (default 1000). */
  SWITCHYARD_POLICY_CHECK_MS?: string;
  /** `deferred` (default) or `strict`: how rate-limit checks reach Redis (src/limits/upstash-counters.ts). */
  SWITCHYARD_RATE_LIMIT_SYNC?: string;
  SWITCHYARD_LOG_REQUESTS?: string;
  /** How long each isolate gathers metric deltas before one pipelined write to the store, in ms (default 2000). */
  SWITCHYARD_METRICS_FLUSH_MS?: string;
  /** `false` turns usage metering and metrics off. */
  SWITCHYARD_METERING?: string;
  [secret: string]: unknown;
}

interface Runtime {
  app: Hono<AppEnv>;
  store: Store;
}

async function buildRuntime(fleet: CompiledFleet, env: Env): Promise<Runtime> {
  const store = storeFromEnv(env);
  if (env.SWITCHYARD_KEYS && store.kind === 'memory') await seedKeys(store, JSON.parse(env.SWITCHYARD_KEYS));
  // Response cache: L2 is this colo's Cache API (a no-op on *.workers.dev, which has none; it
  // works on a custom domain), L3 Upstash when it is configured.
  const colo = await caches.open('switchyard-responses');
  const l3 = cacheStoreFromEnv(env);
  const memoSeconds = env.SWITCHYARD_KEY_MEMO_SECONDS === undefined ? undefined : Number(env.SWITCHYARD_KEY_MEMO_SECONDS);
  const { keys, tenants, limiter } = buildGovernance({
    fleet,
    store,
    counters: limitCountersFromEnv(env),
    ...(memoSeconds === undefined ? {} : { memoTtlMs: memoSeconds * 1000 }),
    ...(env.SWITCHYARD_POLICY_CHECK_MS === undefined ? {} : { policyCheckMs: Number(env.SWITCHYARD_POLICY_CHECK_MS) }),
  });
  const app = createApp({
    fleet,
    keys,
    limiter,
    admin: { keys, tenants },
    transport: fetchTransport(),
    secret: secretOf(env),
    store,
    cache: { colo, ...(l3 ? { store: l3 } : {}) },
    ...(env.SWITCHYARD_LOG_REQUESTS === 'false' ? {} : { log: (line) => console.log(JSON.stringify(line)) }),
    metrics: env.SWITCHYARD_METERING === 'false' ? false : env.SWITCHYARD_METRICS_FLUSH_MS === undefined ? {} : { flushMs: Number(env.SWITCHYARD_METRICS_FLUSH_MS) },
  });
  return { app, store };
}

const secretOf = (env: Env) => (name: string) => (typeof env[name] === 'string' ? env[name] : undefined);

/**
 * The Worker for a fleet: the app is built once per isolate (per env) and reused. The cron
 * trigger probes every endpoint and writes the health snapshot the app reads; with Upstash
 * every isolate shares it, with the in-memory store only the isolate that probed sees it.
 */
export function createWorker(fleet: CompiledFleet) {
  const runtimes = new WeakMap<Env, Promise<Runtime>>();
  const runtimeFor = (env: Env) => {
    let runtime = runtimes.get(env);
    if (!runtime) {
      runtime = buildRuntime(fleet, env);
      runtimes.set(env, runtime);
    }
    return runtime;
  };
  return {
    async fetch(request, env, ctx) {
      return (await runtimeFor(env)).app.fetch(request, env, ctx);
    },
    async scheduled(_controller, env, ctx) {
      const { store } = await runtimeFor(env);
      ctx.waitUntil(runHealthProbe({ fleet, transport: fetchTransport(), store, secret: secretOf(env) }).then(() => undefined));
    },
  } satisfies ExportedHandler<Env>;
}

export default createWorker(compiledFleet as CompiledFleet);
