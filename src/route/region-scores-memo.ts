import type { RegionGroup } from './region-groups.ts';
import type { RouteRequest, ScoredRegion, WeightedScorer } from './types.ts';

/**
 * Region scores reused between requests. A region-scoped scorer reads only the request's
 * caller location and session key and the candidates' regions (see Scorer.scope), never the
 * live state; so the scores of a remembered filter pass (the same object until the state's
 * generation changes, src/route/filter-pass.ts) under one profile are the same for every request
 * from the same place. They are computed once per (pass, profile, caller) and shared, with the
 * route reason each region would give when it leads. Only the ranking, which draws ties at
 * random and moves the balancers, is made per request. A request with a session key under a
 * profile weighting a scorer that reads it (Scorer.readsSession) is scored afresh: sessions are too many to remember.
 */

export interface RegionScores {
  readonly regions: readonly ScoredRegion[];
  /** The route reason when a region leads, by that region's `parts` (made once per leader). */
  readonly reasons: Map<Readonly<Record<string, number>>, { region: string; size: number; text: string }>;
}

/** Callers remembered per (pass, profile): the places requests come from (colos, or none on Node). */
const MAX_CALLERS = 64;

const memo = new WeakMap<readonly RegionGroup[], WeakMap<readonly WeightedScorer[], Map<string, RegionScores>>>();

const callerKey = (r: RouteRequest): string => {
  const c = r.caller;
  return c === undefined ? '' : `${c.latitude}\0${c.longitude}\0${c.continent ?? ''}\0${c.country ?? ''}`;
};

const readsSession = (profile: readonly WeightedScorer[]): boolean => {
  for (const s of profile) if (s.scorer.readsSession === true) return true;
  return false;
};

/** `score` once per (remembered pass's regions, profile, caller); `undefined` when this request cannot share. */
export function rememberedRegionScores(groups: readonly RegionGroup[], profile: readonly WeightedScorer[], request: RouteRequest, score: () => ScoredRegion[]): RegionScores | undefined {
  if (request.sessionKey && readsSession(profile)) return undefined;
  let byProfile = memo.get(groups);
  if (!byProfile) memo.set(groups, (byProfile = new WeakMap()));
  let byCaller = byProfile.get(profile);
  if (!byCaller) byProfile.set(profile, (byCaller = new Map()));
  const key = callerKey(request);
  let known = byCaller.get(key);
  if (!known) {
    if (byCaller.size >= MAX_CALLERS) byCaller.delete(byCaller.keys().next().value as string);
    known = { regions: score(), reasons: new Map() };
    byCaller.set(key, known);
  }
  return known;
}
