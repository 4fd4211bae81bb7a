import type { Filter } from '../types.ts';

export const PLACEMENT = 'placement';

/**
 * Pattern 6's tiers live in places: a model whose tier is placed (edge, regional, central) is
 * served only from regions hosting that placement. A region that declares no placement hosts
 * them all, so fleets without placements route as before.
 */
export const placement = (): Filter => ({
  type: PLACEMENT,
  stable: true,
  reason: "no region hosting this model's tier placement serves it",
  filter: (request, candidates) => {
    const wanted = request.model.placement;
    if (!wanted) return candidates;
    return candidates.filter((c) => !c.region.placement || c.region.placement.includes(wanted));
  },
});
