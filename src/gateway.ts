import { kvTransferHosts } from './api/kv-transfer.ts';
import type { RedactOptions } from './api/redact.ts';
import { DEFAULT_BODY_TIMEOUT_MS } from './api/read-body.ts';
import type { Backend } from './backends/backend.ts';
import { DEFAULT_EDGE_CACHE } from './cache/policy.ts';
import { createResponseCache, type ResponseCache, type ResponseCacheDeps } from './cache/response-cache.ts';
import type { Transport } from './backends/transport.ts';
import { vllmBackend } from './backends/vllm.ts';
import { sageMakerBackend } from './backends/sagemaker/backend.ts';
import type { ApiKeys } from './auth/api-keys.ts';
import type { KeyVerifier } from './auth/bearer-auth.ts';
import type { Limiter } from './limits/limiter.ts';
import type { Tenants } from './tenants/tenants.ts';
import type { CompiledEndpoint, CompiledFleet, CompiledModel, CompiledRegion } from './fleet/compiled.ts';
import type { RequestLog } from './observe/request-log.ts';
import { HealthSnapshotReader } from './health/snapshot-reader.ts';
import type { BreakerOptions } from './health/circuit-breaker.ts';
import { LiveState } from './route/live-state.ts';
import type { Store } from './store/store.ts';
import { pipelineFromWeights, type Pipeline } from './route/pipeline.ts';
import { Metrics } from './observe/metrics/metrics.ts';
import type { FairShareOptions } from './route/filters/fair-share.ts';
import { MemoryStore } from './store/memory-store.ts';
import type { Candidate } from './route/types.ts';

/** What a runtime (Workers, Node) hands the core. Everything platform-specific is in here. */
export interface GatewayDeps {
  fleet: CompiledFleet;
  keys: KeyVerifier;
  transport: Transport;
  /** Reads a secret / env var by name (per-region upstream credentials). */
  secret(name: string): string | undefined;
  /** Where the prober's health snapshot is read from (the same store the keys live in). */
  store?: Store;
  /** How long the snapshot read from the store is reused (default 5 s; an in-process store can go lower). */
  healthMemoMs?: number;
  /** How often the prober runs (the Worker's cron: a minute; Node's interval): how long a refusal for ill health lasts at most. */
  probeIntervalMs?: number;
  /** Circuit breaker settings (defaults in src/health/circuit-breaker.ts). */
  breaker?: Partial<BreakerOptions>;
  /** One structured line per request; omitted = no request log. */
  log?: (line: RequestLog) => void;
  now?: () => number;
  /**
   * The response cache's platform tiers: L2 the colo's Cache API (Workers only), L3 a store
   * every instance shares (Upstash). L1, isolate memory, needs nothing. The policy is the fleet's.
   */
  cache?: Omit<ResponseCacheDeps, 'policy' | 'now'>;
  /** Per key and per tenant limits and budgets (src/limits/); absent = nothing is limited. */
  limiter?: Limiter;
  /** Key and tenant administration behind /admin/keys and /admin/tenants; absent = no admin API. */
  admin?: { keys: ApiKeys; tenants: Tenants };
  /**
   * Usage metering and metrics (src/observe/metrics/): deltas gather per instance and go to the
   * store (the same one the keys live in; this instance's memory without one) every `flushMs`
   * (default 2 s). `false` turns metering off (the overhead benchmark's baseline).
   */
  metrics?: { flushMs?: number } | false;
  /** How long a request body may take to arrive once read, before a 408 (default DEFAULT_BODY_TIMEOUT_MS, 60 s). */
  bodyTimeoutMs?: number;
}

/** The immutable per-isolate view built once from the deps: lookups the hot path needs. */
export interface Gateway {
  readonly fleet: CompiledFleet;
  readonly keys: KeyVerifier;
  readonly pipeline: Pipeline;
  readonly backends: Readonly<Record<CompiledEndpoint['backend'], Backend>>;
  readonly regions: ReadonlyMap<string, CompiledRegion>;
  /** Model by id or alias. */
  readonly models: ReadonlyMap<string, CompiledModel>;
  /** The model serving each tier: its defaultModel, else the first model labelled with it. */
  readonly tierModels: ReadonlyMap<string, CompiledModel>;
  readonly candidates: ReadonlyMap<string, readonly Candidate[]>;
  credential(candidate: Candidate): string | undefined;
  /** The candidate's region names an upstream secret that is not set. */
  credentialMissing(candidate: Candidate): boolean;
  /** Regions (or SageMaker endpoints) whose upstream secret is not set, with the secret's name (for the operator, not for clients). */
  readonly missingCredentials: readonly { region: string; endpoint?: string; secret: string }[];
  readonly log: ((line: RequestLog) => void) | undefined;
  /** How long a request body may take to arrive (src/api/read-body.ts). */
  readonly bodyTimeoutMs: number;
  /** Per-endpoint load and health as this isolate sees it. */
  readonly live: LiveState;
  /** Hosts a client's `kv_transfer_params` may name; undefined when the routing policy does not accept them from clients. */
  readonly kvTransferHosts: ReadonlySet<string> | undefined;
  /** The prober's last snapshot, read stale-while-revalidate; absent without a store. */
  readonly health: HealthSnapshotReader | undefined;
  /** The edge response cache; absent when the fleet's CachePolicy turns it off. */
  readonly cache: ResponseCache | undefined;
  /** Limits and budgets: `admit` after the cache, `settle` with the usage, `release` at the end. */
  readonly limiter: Limiter | undefined;
  /** Counters, histograms and usage rows over every instance; absent when metering is off. */
  readonly metrics: Metrics | undefined;
  now(): number;
}

export function buildGateway(deps: GatewayDeps): Gateway {
  const { fleet } = deps;
  const regions = new Map(fleet.regions.map((r) => [r.id, r]));
  const models = new Map<string, CompiledModel>();
  for (const m of fleet.models) {
    models.set(m.id, m);
    for (const alias of m.aliases) models.set(alias, m);
  }
  const tierModels = new Map<string, CompiledModel>();
  for (const tier of fleet.tiers) {
    const model = fleet.models.find((m) => m.id === tier.defaultModel) ?? fleet.models.find((m) => m.tier === tier.name);
    if (model) tierModels.set(tier.name, model);
  }
  const candidates = new Map<string, Candidate[]>();
  for (const endpoint of fleet.endpoints) {
    const region = regions.get(endpoint.region);
    if (!region) throw new Error(`endpoint ${endpoint.id} names unknown region ${endpoint.region}`);
    const list = candidates.get(endpoint.model) ?? [];
    list.push({ endpoint, region });
    candidates.set(endpoint.model, list);
  }
  // Resolve each region's secret once: secrets do not change within an isolate's life.
  const credentials = new Map(fleet.regions.map((r) => [r.id, r.credentialsSecret ? deps.secret(r.credentialsSecret) : undefined]));
  const missingCredentials: { region: string; endpoint?: string; secret: string }[] = fleet.regions.flatMap((r) =>
    r.credentialsSecret && !credentials.get(r.id) ? [{ region: r.id, secret: r.credentialsSecret }] : [],
  );
  // A SageMaker endpoint signs with its own AWS keys, by the names the fleet gives.
  for (const e of fleet.endpoints) {
    const names = e.sagemaker ? [e.sagemaker.credentials.accessKeyIdSecret, e.sagemaker.credentials.secretAccessKeySecret, e.sagemaker.credentials.sessionTokenSecret] : [];
    for (const name of names) if (name !== undefined && !deps.secret(name)) missingCredentials.push({ region: e.region, endpoint: e.id, secret: name });
  }
  // What an error's text must never carry: every upstream credential (not even in the log), and
  // the fleet's hosts (not to clients).
  const redact = redactionFor(fleet, [...credentials.values()], deps.secret);
  const missingRegions = new Set(missingCredentials.filter((m) => m.endpoint === undefined).map((m) => m.region));
  const missingEndpoints = new Set(missingCredentials.flatMap((m) => (m.endpoint ? [m.endpoint] : [])));
  // Said once, at start, by name: requests there are refused rather than sent without credentials.
  for (const m of missingCredentials) {
    console.warn(`switchyard: ${m.endpoint ? `endpoint ${m.endpoint}` : `region ${m.region}`} needs secret ${m.secret}, which is not set; it will not be called until it is`);
  }
  return {
    fleet,
    keys: deps.keys,
    pipeline: pipelineFromWeights(fleet.routing.weights, undefined, fairShareOptions(fleet.routing.fairness)),
    regions,
    // SageMaker reads its AWS keys by the names each endpoint gives, through the same secret lookup.
    backends: { vllm: vllmBackend(deps.transport, redact), sagemaker: sageMakerBackend({ transport: deps.transport, secret: deps.secret, redact }) },
    models,
    tierModels,
    candidates,
    credential: (c) => credentials.get(c.region.id),
    credentialMissing: (c) => missingRegions.has(c.region.id) || missingEndpoints.has(c.endpoint.id),
    missingCredentials,
    log: deps.log,
    bodyTimeoutMs: deps.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
    kvTransferHosts: kvTransferHosts(fleet.routing.kvTransfer, fleet.endpoints.map((e) => e.baseUrl)),
    live: new LiveState(fleet.endpoints.map((e) => e.id), {
      ...(deps.breaker ? { breaker: deps.breaker } : {}),
      ...(deps.probeIntervalMs === undefined ? {} : { probeIntervalMs: deps.probeIntervalMs }),
    }),
    health: deps.store
      ? new HealthSnapshotReader({
          store: deps.store,
          now: deps.now ?? Date.now,
          ...(deps.healthMemoMs === undefined ? {} : { memoMs: deps.healthMemoMs }),
          onError: (e) => console.error('health snapshot', String(e)),
        })
      : undefined,
    cache: createResponseCache({ policy: fleet.cache ?? DEFAULT_EDGE_CACHE, ...deps.cache, now: deps.now ?? Date.now }),
    limiter: deps.limiter,
    metrics:
      deps.metrics === false
        ? undefined
        : new Metrics({ store: deps.store ?? new MemoryStore({ now: deps.now ?? Date.now }), flushMs: deps.metrics?.flushMs ?? 2_000 }),
    now: deps.now ?? Date.now,
  };
}

/** The upstream secrets the gateway holds and the hosts of its endpoints, for redacting upstream error text. */
function redactionFor(fleet: CompiledFleet, credentials: readonly (string | undefined)[], secret: (name: string) => string | undefined): RedactOptions {
  const secrets = new Set<string>();
  for (const c of credentials) if (c) secrets.add(c);
  const internal = new Set<string>();
  for (const e of fleet.endpoints) {
    for (const name of e.sagemaker ? [e.sagemaker.credentials.accessKeyIdSecret, e.sagemaker.credentials.secretAccessKeySecret, e.sagemaker.credentials.sessionTokenSecret] : []) {
      const value = name === undefined ? undefined : secret(name);
      if (value) secrets.add(value);
    }
    for (const url of [e.baseUrl, e.sagemaker?.endpointUrl]) {
      if (!url) continue;
      const { host, hostname } = new URL(url);
      internal.add(host);
      // A bare name without a dot (`llama`) is also a word: only hosts that cannot be are removed on their own.
      if (hostname.includes('.') || hostname.includes(':')) internal.add(hostname);
    }
  }
  // Longest first, so `host:port` goes before the `host` inside it.
  return { secrets: [...secrets], internal: [...internal].sort((a, b) => b.length - a.length) };
}

/** The fair-share filter's settings, when the routing policy caps an endpoint's concurrency. */
function fairShareOptions(fairness: CompiledFleet['routing']['fairness']): FairShareOptions | undefined {
  if (fairness?.endpointConcurrency === undefined) return undefined;
  return { endpointConcurrency: fairness.endpointConcurrency, weights: fairness.weights, defaultWeight: fairness.defaultWeight };
}
