import type { Candidate, Scorer } from '../types.ts';

export const COST = 'cost';

/** Price of a typical request (1 input : 1 output token mix) in the region, per the fleet's pricing. */
const price = (c: Candidate) => c.region.pricing.inputPerMillionTokensUsd + c.region.pricing.outputPerMillionTokensUsd;

/**
 * Regional cost: the cheapest candidate scores 1, the most expensive 0, linear between;
 * all equal (or unpriced) score 1.
 */
export const costScorer = (): Scorer => ({
  type: COST,
  category: 'balance',
  scope: 'region',
  score: (_request, candidates) => {
    let min = Infinity;
    let max = -Infinity;
    for (const c of candidates) {
      const p = price(c);
      if (p < min) min = p;
      if (p > max) max = p;
    }
    const span = max - min;
    return candidates.map((c) => (span > 0 ? (max - price(c)) / span : 1));
  },
});
