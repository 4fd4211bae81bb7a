import type { Filter } from '../types.ts';

export const SERVES_MODEL = 'serves-model';

/** Keeps endpoints that serve the requested model. */
export const servesModel = (): Filter => ({
  type: SERVES_MODEL,
  reason: 'no endpoint serves this model',
  filter: (request, candidates) => candidates.filter((c) => c.endpoint.model === request.model.id),
});
