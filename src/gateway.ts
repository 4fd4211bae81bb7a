import type { Backend } from './backends/backend.ts';
import type { Transport } from './backends/transport.ts';
import { vllmBackend } from './backends/vllm.ts';
import type { KeyVerifier } from './auth/bearer-auth.ts';
import type { CompiledEndpoint, CompiledFleet, CompiledModel } from './fleet/compiled.ts';
import type { RequestLog } from './observe/request-log.ts';
import { pipelineFromWeights, type Pipeline } from './route/pipeline.ts';
import type { Candidate } from './route/types.ts';

/** What a runtime (Workers, Node) hands the core. Everything platform-specific is in here. */
export interface GatewayDeps {
  fleet: CompiledFleet;
  keys: KeyVerifier;
  transport: Transport;
  /** Reads a secret / env var by name (per-region upstream credentials). */
  secret(name: string): string | undefined;
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
  readonly candidates: ReadonlyMap<string, readonly Candidate[]>;
  credential(candidate: Candidate): string | undefined;
  readonly log: ((line: RequestLog) => void) | undefined;
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
    candidates,
    credential: (c) => credentials.get(c.region.id),
    log: deps.log,
    now: deps.now ?? Date.now,
  };
}
