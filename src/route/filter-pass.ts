import { groupByRegion, type RegionGroup } from './region-groups.ts';
import type { Candidate, Filter, RouteRequest, RouteState } from './types.ts';

export type FilterPass =
  | { readonly ok: true; readonly candidates: readonly Candidate[]; readonly regions: readonly RegionGroup[] }
  /** `droppedBy` left nothing of `before`, what the filters ahead of it had kept. */
  | { readonly ok: false; readonly droppedBy: Filter; readonly before: readonly Candidate[] };

/** The filters in order, stopping at the first that leaves nothing; survivors not yet grouped. */
function run(filters: readonly Filter[], request: RouteRequest, all: readonly Candidate[], state: RouteState): readonly Candidate[] | { droppedBy: Filter; before: readonly Candidate[] } {
  let candidates = all;
  for (const filter of filters) {
    const before = candidates;
    candidates = filter.filter(request, candidates, state);
    if (candidates.length === 0) return { droppedBy: filter, before };
  }
  return candidates;
}

function grouped(result: ReturnType<typeof run>): FilterPass {
  return 'droppedBy' in result ? { ok: false, ...result } : { ok: true, candidates: result, regions: groupByRegion(result) };
}

/** Request classes remembered per (filters, candidate list): key scopes are the many, models the few. */
const MAX_CLASSES = 256;

const memo = new WeakMap<readonly Filter[], WeakMap<readonly Candidate[], Map<string, { generation: { readonly since: number }; pass: FilterPass }>>>();

/** The region groups of passes remembered for a generation: the same object for every request until it changes. */
const remembered = new WeakSet<readonly RegionGroup[]>();

/** Whether these groups are a remembered pass's (shared by requests until the generation changes), not one request's. */
export const isRemembered = (groups: readonly RegionGroup[]): boolean => remembered.has(groups);

/** What a stable filter may read of the request (see Filter.stable). */
const classOf = (r: RouteRequest): string =>
  `${r.model.id}\0${r.model.placement ?? ''}\0${r.capability ?? ''}\0${r.key.regions?.join('\0') ?? ''}\0\0${r.key.residency?.join('\0') ?? ''}`;

function rememberedPass(filters: readonly Filter[], request: RouteRequest, all: readonly Candidate[], state: RouteState): FilterPass {
  const generation = state.generation;
  // A request that started before the generation was cut may see what changed since as not yet happened.
  if (generation === undefined || state.now < generation.since) return grouped(run(filters, request, all, state));
  let byList = memo.get(filters);
  if (!byList) memo.set(filters, (byList = new WeakMap()));
  let byClass = byList.get(all);
  if (!byClass) byList.set(all, (byClass = new Map()));
  const key = classOf(request);
  const hit = byClass.get(key);
  if (hit?.generation === generation) return hit.pass;
  const pass = grouped(run(filters, request, all, state));
  if (pass.ok) remembered.add(pass.regions);
  if (!hit && byClass.size >= MAX_CLASSES) byClass.delete(byClass.keys().next().value as string);
  byClass.set(key, { generation, pass });
  return pass;
}

/** A pipeline's filters split into the leading stable ones and the rest (computed once per list). */
const splits = new WeakMap<readonly Filter[], { stable: readonly Filter[]; rest: readonly Filter[] }>();

function split(filters: readonly Filter[]): { stable: readonly Filter[]; rest: readonly Filter[] } {
  let known = splits.get(filters);
  if (!known) {
    let n = 0;
    while (n < filters.length && filters[n]?.stable === true) n++;
    known = n === filters.length ? { stable: filters, rest: [] } : { stable: filters.slice(0, n), rest: filters.slice(n) };
    splits.set(filters, known);
  }
  return known;
}

/**
 * Runs the filters in order, stopping at the first that leaves nothing. The leading stable
 * filters (all of the built-in ones but fair share) give the same answer until the state's
 * generation changes, so their pass, region groups included, is computed once per generation
 * and request class and reused by every request in between: what a request pays for them does
 * not grow with the fleet. The filters after them run on every request.
 */
export function passFilters(filters: readonly Filter[], request: RouteRequest, all: readonly Candidate[], state: RouteState): FilterPass {
  const { stable, rest } = split(filters);
  if (stable.length === 0) return grouped(run(filters, request, all, state));
  const pass = rememberedPass(stable, request, all, state);
  if (!pass.ok || rest.length === 0) return pass;
  const result = run(rest, request, pass.candidates, state);
  // Filters only drop: a list as long as before kept everyone, and its region groups stand.
  if (!('droppedBy' in result) && result.length === pass.candidates.length) return pass;
  return grouped(result);
}
