import type { Filter } from '../types.ts';

export const KEY_SCOPE = 'key-scope';

/**
 * Keeps endpoints in regions the API key may reach: its allowed regions and residency
 * zones. Applied before anything else ranks or fails over, so no later step can route a
 * request outside them.
 */
export const keyScope = (): Filter => ({
  type: KEY_SCOPE,
  stable: true,
  reason: "no endpoint for this model is in a region or residency zone your API key allows",
  filter: (request, candidates) => {
    const { regions, residency } = request.key;
    if (!regions?.length && !residency?.length) return candidates;
    return candidates.filter(
      (c) => (!regions?.length || regions.includes(c.region.id)) && (!residency?.length || residency.includes(c.region.residency)),
    );
  },
});
