import { keyScope } from './filters/key-scope.ts';
import { servesModel } from './filters/serves-model.ts';
import { healthy } from './filters/healthy.ts';
import { notSaturated } from './filters/not-saturated.ts';
import { placement } from './filters/placement.ts';
import { fairShare, type FairShareOptions } from './filters/fair-share.ts';
import { geoScorer } from './scorers/geo.ts';
import { defaultErrorRateWeight, ERROR_RATE, errorRateScorer } from './scorers/error-rate.ts';
import { isRemembered, passFilters } from './filter-pass.ts';
import { rememberedRegionScores, type RegionScores } from './region-scores-memo.ts';
import { arrayRanking } from './ranking.ts';
import { groupScored, type RegionGroup } from './region-groups.ts';
import { regionPoolPicker } from './region-pool-picker.ts';
import { isScorerType, SCORERS } from './registry.ts';
import type { Candidate, Filter, Picker, Ranking, RoutePlan, RouteRequest, RouteState, Scored, ScoredRegion, WeightedScorer } from './types.ts';

export interface Pipeline {
  readonly filters: readonly Filter[];
  readonly scorers: readonly WeightedScorer[];
  /**
   * The profile of an edge-placed tier (pattern 6's tier 1): proximity, so the nearest region
   * serving the model comes first and the fallbacks follow by distance, and recent errors.
   */
  readonly nearest: readonly WeightedScorer[];
  readonly picker: Picker;
}

/** Which scorer profile a request runs: the policy's weights, or nearest-first for edge tiers. */
export const profileFor = (pipeline: Pipeline, request: RouteRequest): readonly WeightedScorer[] =>
  request.model.placement === 'edge' ? pipeline.nearest : pipeline.scorers;

// As llm-d's enforceScoreRange: out-of-range scores are clamped (+Infinity to 1); NaN counts as 0.
const clamp01 = (x: number) => (Number.isNaN(x) ? 0 : x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * Builds the pipeline from the routing policy's weights; a weight of 0 leaves a scorer out.
 * The error-rate scorer is in both profiles: at the policy's weight for it (0 leaves it out), or
 * if the policy does not name it, at twice the profile's other weights together.
 */
export function pipelineFromWeights(weights: Readonly<Record<string, number>>, picker: Picker = regionPoolPicker(), fairness?: FairShareOptions): Pipeline {
  const scorers: WeightedScorer[] = [];
  let others = 0;
  for (const [type, weight] of Object.entries(weights)) {
    if (!isScorerType(type)) throw new Error(`routing policy weights an unknown scorer "${type}"`);
    if (weight > 0) scorers.push({ scorer: SCORERS[type](), weight });
    if (type !== ERROR_RATE) others += weight;
  }
  const named = weights[ERROR_RATE];
  if (named === undefined) scorers.push({ scorer: errorRateScorer(), weight: defaultErrorRateWeight(others) });
  const nearest: WeightedScorer[] = [{ scorer: geoScorer(), weight: 1 }];
  const nearestErrorRate = named ?? defaultErrorRateWeight(1);
  if (nearestErrorRate > 0) nearest.push({ scorer: errorRateScorer(), weight: nearestErrorRate });
  // Key scope comes before health: a key's residency holds even when its whole zone is down.
  // Fairness last: a tenant's share is of the endpoints that could take the request at all.
  const filters = [servesModel(), keyScope(), placement(), healthy(), notSaturated(), ...(fairness ? [fairShare(fairness)] : [])];
  return { filters, scorers, nearest, picker };
}

/**
 * Sums each scorer's clamped score times its weight, and keeps each score by scorer type, for
 * `items` scored as a list (aligned with it).
 */
function weigh(profile: readonly WeightedScorer[], request: RouteRequest, items: readonly Candidate[], state: RouteState): { totals: number[]; parts: Record<string, number>[] } {
  const totals = new Array<number>(items.length).fill(0);
  const parts = items.map((): Record<string, number> => ({}));
  for (const { scorer, weight } of profile) {
    const scores = scorer.score(request, items, state);
    for (let i = 0; i < items.length; i++) {
      const s = clamp01(scores[i] ?? 0);
      totals[i] = (totals[i] ?? 0) + s * weight;
      (parts[i] as Record<string, number>)[scorer.type] = s;
    }
  }
  return { totals, parts };
}

/** Region-scoped scorers only: each region scored through one of its candidates, every member sharing the result. */
function scoreRegions(profile: readonly WeightedScorer[], request: RouteRequest, groups: readonly RegionGroup[], state: RouteState): ScoredRegion[] {
  const { totals, parts } = weigh(profile, request, groups.map((g) => g.members[0] as Candidate), state);
  return groups.map((g, i) => ({ region: g.region, members: g.members, best: totals[i] ?? 0, parts: parts[i] ?? {} }));
}

/** Every candidate scored on its own, in input order. */
function scoreEndpoints(profile: readonly WeightedScorer[], request: RouteRequest, candidates: readonly Candidate[], state: RouteState): Scored[] {
  const { totals, parts } = weigh(profile, request, candidates, state);
  return candidates.map((candidate, i) => ({ candidate, total: totals[i] ?? 0, parts: parts[i] ?? {} }));
}

/** The region scores as a flat list in candidate order, for a picker that takes one. */
function flatten(candidates: readonly Candidate[], regions: readonly ScoredRegion[]): Scored[] {
  const byId = new Map(regions.map((r) => [r.region.id, r]));
  return candidates.map((candidate) => {
    const r = byId.get(candidate.region.id) as ScoredRegion;
    return { candidate, total: r.best, parts: r.parts };
  });
}

/** Each profile less its flat scorers, by which of them are flat: the same list object for the same state of flatness. */
const lessFlat = new WeakMap<readonly WeightedScorer[], Map<number, readonly WeightedScorer[]>>();

/** The profile less the scorers that would score every candidate 1 in this state (the profile itself when there are none). */
function withoutFlat(profile: readonly WeightedScorer[], state: RouteState): readonly WeightedScorer[] {
  let mask = 0;
  for (let i = 0; i < profile.length; i++) if ((profile[i] as WeightedScorer).scorer.flat?.(state)) mask |= 1 << i;
  if (mask === 0 || profile.length > 30) return mask === 0 ? profile : profile.filter((w) => !w.scorer.flat?.(state));
  let byMask = lessFlat.get(profile);
  if (!byMask) lessFlat.set(profile, (byMask = new Map()));
  let kept = byMask.get(mask);
  if (!kept) byMask.set(mask, (kept = profile.filter((_, i) => (mask & (1 << i)) === 0)));
  return kept;
}

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

/** Why this route: the leading region, the placement, the leader's scores, how many fallbacks. */
function reasonFor(request: RouteRequest, best: Scored | undefined, size: number): string {
  const why = best ? Object.entries(best.parts).map(([k, v]) => `${k}=${fmt(v)}`) : [];
  const placed = request.model.placement ? [`placement=${request.model.placement}`] : [];
  return [`region=${best?.candidate.region.id}`, ...placed, ...why, `fallbacks=${size - 1}`].join(' ');
}

/** A route: the ranking the forwarder walks, whole in `ranked` for whoever wants it as a list. */
class Planned {
  readonly ok = true as const;
  readonly ranking: Ranking;
  readonly reason: string;
  constructor(ranking: Ranking, reason: string) {
    this.ranking = ranking;
    this.reason = reason;
  }
  get ranked(): readonly Scored[] {
    return this.ranking.toArray();
  }
}

/**
 * Runs filters in order (stopping at the first that leaves nothing), sums each scorer's
 * clamped score times its weight, and lets the picker order the result: the first entry is
 * the pick, the rest are the fallbacks in order.
 *
 * What a request costs does not grow with the fleet: the stable filters' pass is reused until
 * the live state changes (src/route/filter-pass.ts); when every weighted scorer is
 * region-scoped (geo, cost, session affinity: the default policy and the nearest-first profile)
 * regions are scored, not endpoints; and the region-pool picker orders a fallback region's
 * pool only if the forwarder walks that far. Per-endpoint scorers (load, latency, kv-cache,
 * prefix affinity) score every candidate that passed the filters.
 */
export function planRoute(pipeline: Pipeline, request: RouteRequest, all: readonly Candidate[], state: RouteState): RoutePlan {
  const pass = passFilters(pipeline.filters, request, all, state);
  if (!pass.ok) {
    const { droppedBy, before } = pass;
    const retryAfterMs = before.length > 0 ? droppedBy.retryAfterMs?.(request, before, state) : undefined;
    return { ok: false, droppedBy, reason: droppedBy.reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }

  const profile = withoutFlat(profileFor(pipeline, request), state);
  const { picker } = pipeline;
  let ranking: Ranking;
  let regionScoped = true;
  for (const s of profile) if (s.scorer.scope !== 'region') regionScoped = false;
  let shared: RegionScores | undefined;
  if (regionScoped) {
    // A remembered pass's regions scored under this profile are the same for every request from the same place.
    shared = isRemembered(pass.regions) ? rememberedRegionScores(pass.regions, profile, request, () => scoreRegions(profile, request, pass.regions, state)) : undefined;
    const regions = shared?.regions ?? scoreRegions(profile, request, pass.regions, state);
    ranking = picker.rank ? picker.rank(regions, state, request) : arrayRanking(picker.pick(flatten(pass.candidates, regions), state, request));
  } else {
    const scored = scoreEndpoints(profile, request, pass.candidates, state);
    ranking = picker.rank ? picker.rank(groupScored(scored), state, request) : arrayRanking(picker.pick(scored, state, request));
  }
  const best = ranking.first();
  const known = best && shared?.reasons.get(best.parts);
  let reason: string;
  if (known && known.region === best?.candidate.region.id && known.size === ranking.size) reason = known.text;
  else {
    reason = reasonFor(request, best, ranking.size);
    // Only a leader of these regions (a picker of its own may lead with scores of its own): the map stays as small as the regions.
    if (shared && best && shared.regions.some((r) => r.parts === best.parts)) shared.reasons.set(best.parts, { region: best.candidate.region.id, size: ranking.size, text: reason });
  }
  return new Planned(ranking, reason);
}
