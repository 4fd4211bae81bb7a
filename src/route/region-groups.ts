import type { CompiledRegion } from '../fleet/compiled.ts';
import type { Candidate, Scored, ScoredRegion } from './types.ts';

/** The candidates of one region, in input order. */
export interface RegionGroup {
  readonly region: CompiledRegion;
  readonly members: readonly Candidate[];
}

/** Groups items by their candidate's region, the regions in order of first appearance. */
function groupBy<T>(items: readonly T[], candidate: (item: T) => Candidate): { region: CompiledRegion; items: T[] }[] {
  const groups: { region: CompiledRegion; items: T[] }[] = [];
  const index = new Map<string, number>();
  for (const item of items) {
    const { region } = candidate(item);
    const at = index.get(region.id);
    if (at === undefined) {
      index.set(region.id, groups.length);
      groups.push({ region, items: [item] });
    } else groups[at]?.items.push(item);
  }
  return groups;
}

export const groupByRegion = (candidates: readonly Candidate[]): RegionGroup[] =>
  groupBy(candidates, (c) => c).map(({ region, items }) => ({ region, members: items }));

const NO_PARTS: Readonly<Record<string, number>> = Object.freeze({});

/** Scored candidates by region, each region ranked by its best member's total. */
export const groupScored = (scored: readonly Scored[]): ScoredRegion[] =>
  groupBy(scored, (s) => s.candidate).map(({ region, items }) => {
    let best = (items[0] as Scored).total;
    for (const s of items) if (s.total > best) best = s.total;
    return { region, members: items.map((s) => s.candidate), best, each: items, parts: NO_PARTS };
  });
