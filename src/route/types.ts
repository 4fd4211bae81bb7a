import type { EndpointView } from './endpoint-view.ts';
import type { PrefixInfo } from './prefix/prefix-info.ts';
import type { Capability } from '../api/openai-endpoints.ts';
import type { CompiledEndpoint, CompiledModel, CompiledRegion, Continent } from '../fleet/compiled.ts';

/** Where the caller is, from `request.cf` on Workers (absent on Node or when unknown). */
export interface CallerGeo {
  latitude?: number;
  longitude?: number;
  continent?: Continent;
  country?: string;
}

/** One endpoint a request could go to, with its region. */
export interface Candidate {
  readonly endpoint: CompiledEndpoint;
  readonly region: CompiledRegion;
}

/** Where an API key may be served: allowed region ids and/or residency zones (none = anywhere). */
export interface KeyScope {
  readonly regions?: readonly string[] | undefined;
  readonly residency?: readonly string[] | undefined;
}

/** What routing knows about the request. Built once per request, read-only for plugins. */
export interface RouteRequest {
  readonly model: CompiledModel;
  /** What the request needs of an endpoint (chat, embeddings, …); absent means chat or completions. */
  readonly capability?: Capability | undefined;
  readonly key: KeyScope;
  readonly caller: CallerGeo | undefined;
  /** The caller's tenant (fairness shares are per tenant). */
  readonly tenant?: string | undefined;
  /** Session affinity key: `x-session-id`, else the OpenAI `user` field. */
  readonly sessionKey?: string | undefined;
  /** The prompt's chained block hashes and affinity anchor (src/route/prefix/), when prefix-affinity is weighted. */
  readonly prefix?: PrefixInfo | undefined;
}

/** Live view of the fleet (health, load) that plugins may read; pure data, no I/O. */
export interface RouteState {
  readonly now: number;
  /** How often the prober checks endpoints: a verdict of its lasts until the next round at most. */
  readonly probeIntervalMs: number;
  endpoint(id: string): EndpointView;
}

export interface Plugin {
  readonly type: string;
}

export interface Filter extends Plugin {
  /** Why a candidate was dropped, for the error a client gets when nothing is left. */
  readonly reason: string;
  filter(request: RouteRequest, candidates: readonly Candidate[], state: RouteState): readonly Candidate[];
  /**
   * When this filter dropped every candidate: how long until one of them should pass again
   * (a saturation mark's end, a breaker's cooldown, the next probe). Absent: not a waiting matter.
   */
  retryAfterMs?(request: RouteRequest, dropped: readonly Candidate[], state: RouteState): number | undefined;
}

/** Scores each candidate in [0, 1], aligned with the input order. */
export interface Scorer extends Plugin {
  readonly category: 'affinity' | 'distribution' | 'balance';
  score(request: RouteRequest, candidates: readonly Candidate[], state: RouteState): readonly number[];
}

export interface Scored {
  readonly candidate: Candidate;
  readonly total: number;
  /** Each scorer's (clamped, unweighted) score, by scorer type. */
  readonly parts: Readonly<Record<string, number>>;
}

export interface Picker extends Plugin {
  /** Orders scored candidates: the first is the pick, the rest the fallbacks in order. */
  pick(scored: readonly Scored[], state: RouteState, request: RouteRequest): readonly Scored[];
}

export interface WeightedScorer {
  readonly scorer: Scorer;
  readonly weight: number;
}

export type RoutePlan =
  | { ok: true; ranked: readonly Scored[]; reason: string }
  | { ok: false; droppedBy: Filter; reason: string; retryAfterMs?: number };
