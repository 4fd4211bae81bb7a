import type { Backend } from './backends/backend.ts';
import type { Transport } from './backends/transport.ts';
import { vllmBackend } from './backends/vllm.ts';
import type { KeyVerifier } from './auth/bearer-auth.ts';
import type { CompiledEndpoint, CompiledFleet, CompiledModel } from './fleet/compiled.ts';
import type { RequestLog } from './observe/request-log.ts';
import { HealthSnapshotReader } from './health/snapshot-reader.ts';
import { LiveState } from './route/live-state.ts';
import type { Store } from './store/store.ts';
import { pipelineFromWeights, type Pipeline } from './route/pipeline.ts';
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
  /** One structured line per request; omitted = no request log. */
  log?: (line: RequestLog) => void;
  now?: () => number;
}

/** The immutable per-isolate view built once from the deps: lookups the hot path needs. */
export interface Gateway {
  readonly fleet: CompiledFleet;
  readonly keys: KeyVerifier;
  readonly pipeline: Pipeline;
  readonly backends: Readonly<Record<CompiledEndpoint['backend'], Backend>>;
  /** Model by id or alias. */
  readonly models: ReadonlyMap<string, CompiledModel>;
  /** The model serving each tier: its defaultModel, else the first model labelled with it. */
  readonly tierModels: ReadonlyMap<string, CompiledModel>;
  readonly candidates: ReadonlyMap<string, readonly Candidate[]>;
  credential(candidate: Candidate): string | undefined;
  readonly log: ((line: RequestLog) => void) | undefined;
  /** Per-endpoint load and health as this isolate sees it. */
  readonly live: LiveState;
  /** The prober's last snapshot, read stale-while-revalidate; absent without a store. */
  readonly health: HealthSnapshotReader | undefined;
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
  return {
    fleet,
    keys: deps.keys,
    pipeline: pipelineFromWeights(fleet.routing.weights),
    backends: { vllm: vllmBackend(deps.transport) },
    models,
    tierModels,
    candidates,
    credential: (c) => credentials.get(c.region.id),
    log: deps.log,
    live: new LiveState(fleet.endpoints.map((e) => e.id)),
    health: deps.store
      ? new HealthSnapshotReader({ store: deps.store, now: deps.now ?? Date.now, onError: (e) => console.error('health snapshot', String(e)) })
      : undefined,
    now: deps.now ?? Date.now,
  };
}
