import type { Hono } from 'hono';
import { createApp } from '../src/app.ts';
import type { AppEnv } from '../src/app-env.ts';
import { ApiKeys, seedKeys } from '../src/auth/api-keys.ts';
import { fetchTransport } from '../src/backends/fetch-transport.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';
import { storeFromEnv } from '../src/store/select-store.ts';
import compiledFleet from './fleet.generated.json' with { type: 'json' };

/** Bindings and secrets: Upstash credentials, dev keys, and each region's upstream secret by name. */
export interface Env {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** JSON array of key records (hashes only) seeded into the in-memory store, e.g. the dev stack's key. */
  SWITCHYARD_KEYS?: string;
  /** Seconds a verified key may be answered from isolate memory (default 30). */
  SWITCHYARD_KEY_MEMO_SECONDS?: string;
  SWITCHYARD_LOG_REQUESTS?: string;
  [secret: string]: unknown;
}

async function buildApp(fleet: CompiledFleet, env: Env): Promise<Hono<AppEnv>> {
  const store = storeFromEnv(env);
  if (env.SWITCHYARD_KEYS && store.kind === 'memory') await seedKeys(store, JSON.parse(env.SWITCHYARD_KEYS));
  const memoSeconds = env.SWITCHYARD_KEY_MEMO_SECONDS === undefined ? undefined : Number(env.SWITCHYARD_KEY_MEMO_SECONDS);
  return createApp({
    fleet,
    keys: new ApiKeys(store, memoSeconds === undefined ? {} : { memoTtlMs: memoSeconds * 1000 }),
    transport: fetchTransport(),
    secret: (name) => (typeof env[name] === 'string' ? env[name] : undefined),
    ...(env.SWITCHYARD_LOG_REQUESTS === 'false' ? {} : { log: (line) => console.log(JSON.stringify(line)) }),
  });
}

/** The Worker for a fleet: the app is built once per isolate (per env) and reused. */
export function createWorker(fleet: CompiledFleet) {
  const apps = new WeakMap<Env, Promise<Hono<AppEnv>>>();
  const appFor = (env: Env) => {
    let app = apps.get(env);
    if (!app) {
      app = buildApp(fleet, env);
      apps.set(env, app);
    }
    return app;
  };
  return {
    async fetch(request, env, ctx) {
      return (await appFor(env)).fetch(request, env, ctx);
    },
  } satisfies ExportedHandler<Env>;
}

export default createWorker(compiledFleet as CompiledFleet);
