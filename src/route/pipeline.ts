import { keyScope } from './filters/key-scope.ts';
import { servesModel } from './filters/serves-model.ts';
import { healthy } from './filters/healthy.ts';
import { notSaturated } from './filters/not-saturated.ts';
import { placement } from './filters/placement.ts';
import { fairShare, type FairShareOptions } from './filters/fair-share.ts';
import { geoScorer } from './scorers/geo.ts';
import { regionPoolPicker } from './region-pool-picker.ts';
import { isScorerType, SCORERS } from './registry.ts';
import type { Candidate, Filter, Picker, RoutePlan, RouteRequest, RouteState, Scored, WeightedScorer } from './types.ts';

export interface Pipeline {
  readonly filters: readonly Filter[];
  readonly scorers: readonly WeightedScorer[];
  /**
   * The profile of an edge-placed tier (pattern 6's tier 1): proximity alone, so the nearest
   * region serving the model comes first and the fallbacks follow by distance.
   */
  readonly nearest: readonly WeightedScorer[];
  readonly picker: Picker;
}

/** Which scorer profile a request runs: the policy's weights, or nearest-first for edge tiers. */
export const profileFor = (pipeline: Pipeline, request: RouteRequest): readonly WeightedScorer[] =>
  request.model.placement === 'edge' ? pipeline.nearest : pipeline.scorers;

// As llm-d's enforceScoreRange: out-of-range scores are clamped (+Infinity to 1); NaN counts as 0.
const clamp01 = (x: number) => (Number.isNaN(x) ? 0 : x < 0 ? 0 : x > 1 ? 1 : x);

/** Builds the pipeline from the routing policy's weights; a weight of 0 leaves a scorer out. */
export function pipelineFromWeights(weights: Readonly<Record<string, number>>, picker: Picker = regionPoolPicker(), fairness?: FairShareOptions): Pipeline {
  const scorers: WeightedScorer[] = [];
  for (const [type, weight] of Object.entries(weights)) {
    if (!isScorerType(type)) throw new Error(`routing policy weights an unknown scorer "${type}"`);
    if (weight > 0) scorers.push({ scorer: SCORERS[type](), weight });
  }
  // Key scope comes before health: a key's residency holds even when its whole zone is down.
  // Fairness last: a tenant's share is of the endpoints that could take the request at all.
  const filters = [servesModel(), keyScope(), placement(), healthy(), notSaturated(), ...(fairness ? [fairShare(fairness)] : [])];
  return { filters, scorers, nearest: [{ scorer: geoScorer(), weight: 1 }], picker };
}

const fmt = (x: number) => (Math.round(x * 100) / 100).toString();

/**
 * Runs filters in order (stopping at the first that leaves nothing), sums each scorer's
 * clamped score times its weight, and lets the picker order the result: the first entry is
 * the pick, the rest are the fallbacks in order.
 */
export function planRoute(pipeline: Pipeline, request: RouteRequest, all: readonly Candidate[], state: RouteState): RoutePlan {
  let candidates = all;
  for (const filter of pipeline.filters) {
    const before = candidates;
    candidates = filter.filter(request, candidates, state);
    if (candidates.length === 0) {
      const retryAfterMs = before.length > 0 ? filter.retryAfterMs?.(request, before, state) : undefined;
      return { ok: false, droppedBy: filter, reason: filter.reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
    }
  }

  const totals = new Array<number>(candidates.length).fill(0);
  const parts = candidates.map((): Record<string, number> => ({}));
  for (const { scorer, weight } of profileFor(pipeline, request)) {
    const scores = scorer.score(request, candidates, state);
    for (let i = 0; i < candidates.length; i++) {
      const s = clamp01(scores[i] ?? 0);
      totals[i] = (totals[i] ?? 0) + s * weight;
      (parts[i] as Record<string, number>)[scorer.type] = s;
    }
  }
  const scored: Scored[] = candidates.map((candidate, i) => ({ candidate, total: totals[i] ?? 0, parts: parts[i] ?? {} }));
  const ranked = pipeline.picker.pick(scored, state, request);
  const best = ranked[0];
  const why = best ? Object.entries(best.parts).map(([k, v]) => `${k}=${fmt(v)}`) : [];
  const placed = request.model.placement ? [`placement=${request.model.placement}`] : [];
  const reason = [`region=${best?.candidate.region.id}`, ...placed, ...why, `fallbacks=${ranked.length - 1}`].join(' ');
  return { ok: true, ranked, reason };
}
