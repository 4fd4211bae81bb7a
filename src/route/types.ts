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
  /**
   * A token that changes whenever something a stable filter reads may have changed: the health
   * snapshot, a circuit breaker or a saturation mark (set, cleared, or run out with time). What
   * it covers holds from `since` until the token changes, so a stable filter pass is reused by
   * every view with the same token and `now >= since` (src/route/filter-pass.ts); absent = never.
   */
  readonly generation?: { readonly since: number };
  /** Some endpoint's recent error rate is above the error-rate scorer's floor (absent: none is). */
  readonly failing?: boolean;
}

export interface Plugin {
  readonly type: string;
}

export interface Filter extends Plugin {
  /** Why a candidate was dropped, for the error a client gets when nothing is left. */
  readonly reason: string;
  /**
   * The filter's verdict on a candidate depends only on the request's model (id, placement),
   * capability and key scope, and on what the state's `generation` covers (health snapshot,
   * breakers, saturation marks): never on in-flight counts, latency or anything else of the
   * request. Its pass is then computed once per generation and request class, not per request.
   */
  readonly stable?: boolean;
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
  /**
   * 'region': a candidate's score depends only on its region, the request's caller and session
   * key, and on which regions are among the candidates (not on how many endpoints each has, nor
   * on the live state), so scoring one candidate per region gives every endpoint of it its score.
   * Routing then scores regions, not endpoints, and reuses the scores for requests from the same
   * place while the filter pass stands (src/route/region-scores-memo.ts). Absent: scored per endpoint.
   */
  readonly scope?: 'region';
  /** True when a score reads the request's session key: a session's region scores are then made afresh, not shared. */
  readonly readsSession?: boolean;
  /**
   * True when every candidate would score 1 in this state (nothing to tell them apart by): the
   * pipeline leaves the scorer out of this request, so it costs nothing and adds no part.
   */
  flat?(state: RouteState): boolean;
  score(request: RouteRequest, candidates: readonly Candidate[], state: RouteState): readonly number[];
}

export interface Scored {
  readonly candidate: Candidate;
  readonly total: number;
  /** Each scorer's (clamped, unweighted) score, by scorer type. */
  readonly parts: Readonly<Record<string, number>>;
}

/** The candidates of one region that passed the filters, with their scores. */
export interface ScoredRegion {
  readonly region: CompiledRegion;
  /** In input order. */
  readonly members: readonly Candidate[];
  /** The best member's total: what the region is ranked by. */
  readonly best: number;
  /** Each member's scores, aligned with `members`; absent when every member scored `best` with these `parts`. */
  readonly each?: readonly Scored[];
  readonly parts: Readonly<Record<string, number>>;
}

/**
 * The pick followed by every fallback, best first. Produced as far as it is read: a picker
 * may order a fallback region's pool only when the walk gets there.
 */
export interface Ranking extends Iterable<Scored> {
  /** How many candidates it holds: the pick and every fallback. */
  readonly size: number;
  first(): Scored | undefined;
  /** The whole order (whatever was not produced yet is produced now). */
  toArray(): readonly Scored[];
}

export interface Picker extends Plugin {
  /** Orders scored candidates: the first is the pick, the rest the fallbacks in order. */
  pick(scored: readonly Scored[], state: RouteState, request: RouteRequest): readonly Scored[];
  /** The same order from the candidates grouped by region (as `pick` would give for their flat list), produced lazily. */
  rank?(regions: readonly ScoredRegion[], state: RouteState, request: RouteRequest): Ranking;
}

export interface WeightedScorer {
  readonly scorer: Scorer;
  readonly weight: number;
}

export type RoutePlan =
  | { readonly ok: true; readonly ranking: Ranking; readonly reason: string; /** `ranking`, whole. */ readonly ranked: readonly Scored[] }
  | { ok: false; droppedBy: Filter; reason: string; retryAfterMs?: number };
