import type { Filter } from '../types.ts';

export const SERVES_MODEL = 'serves-model';

/**
 * Keeps endpoints that serve the requested model: declared in the fleet, and, once the prober
 * has read the server's model list, listed there too. A region that stops serving a model
 * drops out until it lists it again; a server whose list is unknown keeps its declaration.
 */
export const servesModel = (): Filter => ({
  type: SERVES_MODEL,
  stable: true,
  reason: 'no endpoint serves this model (declared in the fleet and listed by the server)',
  filter: (request, candidates, state) =>
    candidates.filter((c) => {
      if (c.endpoint.model !== request.model.id) return false;
      // SageMaker's runtime API carries chat and text completions only.
      if (c.endpoint.backend === 'sagemaker' && request.capability !== undefined && request.capability !== 'chat' && request.capability !== 'completions') return false;
      const served = state.endpoint(c.endpoint.id).health?.served;
      return served === undefined || served.includes(request.model.id);
    }),
  // Declared but not listed: the next probe round may find it served again.
  retryAfterMs: (request, dropped, state) => (dropped.some((c) => c.endpoint.model === request.model.id) ? state.probeIntervalMs : undefined),
});
