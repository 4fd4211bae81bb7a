import type { Ranking, Scored } from './types.ts';

/** A ranking already ordered whole (what a picker without `rank` returns). */
export const arrayRanking = (ranked: readonly Scored[]): Ranking => ({
  size: ranked.length,
  first: () => ranked[0],
  toArray: () => ranked,
  [Symbol.iterator]: () => ranked[Symbol.iterator](),
});
