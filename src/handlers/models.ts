import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import { errors } from '../api/errors.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { Gateway } from '../gateway.ts';
import { modelAllowed } from '../auth/model-access.ts';
import { defer } from './defer.ts';
import { healthy } from '../route/filters/healthy.ts';
import { keyScope } from '../route/filters/key-scope.ts';
import { notSaturated } from '../route/filters/not-saturated.ts';
import { servesModel } from '../route/filters/serves-model.ts';

const scope = keyScope();
// Served (the server lists it), up, and not saturated: where a request could go right now.
const available = [servesModel(), healthy(), notSaturated()];

/** One model as the caller's key sees it; undefined when no endpoint of it is in the key's scope. */
function entryFor(gw: Gateway, c: Context<AppEnv>, model: CompiledModel, created: number) {
  const key = c.get('key');
  if (!modelAllowed(key, model)) return undefined;
  const state = gw.live.view(gw.now(), gw.health?.current((work) => defer(c, () => work)));
  const request = { model, key, caller: undefined };
  const reachable = scope.filter(request, gw.candidates.get(model.id) ?? [], state);
  if (reachable.length === 0) return undefined;
  const up = available.reduce((cands, f) => f.filter(request, cands, state), reachable);
  return {
    id: model.id,
    object: 'model' as const,
    created,
    owned_by: 'switchyard',
    ...(model.tier ? { tier: model.tier } : {}),
    capabilities: model.capabilities,
    regions: [...new Set(reachable.map((cand) => cand.region.id))],
    available_regions: [...new Set(up.map((cand) => cand.region.id))],
  };
}

/**
 * GET /v1/models, the global model registry as the caller's key sees it: each model with an
 * endpoint in the key's scope, the routes it serves, the regions that serve it there (fleet
 * file), and the regions that can take a request right now (the servers' own model lists,
 * health, circuit breakers, saturation).
 */
export const listModels = (gw: Gateway) => {
  // `created` is when this gateway loaded the fleet, the closest thing to a creation time it knows.
  const created = Math.floor(gw.now() / 1000);
  return function listModels(c: Context<AppEnv>): Response {
    const data = [];
    for (const model of gw.fleet.models) {
      const entry = entryFor(gw, c, model, created);
      if (entry) data.push(entry);
    }
    // `auto` and each tier name are models too: routing picks the concrete one per request.
    const reachable = new Set(data.map((m) => m.id));
    const tiers = [...gw.tierModels].filter(([, model]) => reachable.has(model.id)).map(([tier]) => tier);
    if (tiers.length > 0) {
      for (const id of ['auto', ...tiers]) {
        data.push({ id, object: 'model' as const, created, owned_by: 'switchyard', ...(id === 'auto' ? {} : { tier: id }), capabilities: ['chat', 'completions', 'responses'], regions: [], available_regions: [] });
      }
    }
    return c.json({ object: 'list', data });
  };
};

/** GET /v1/models/{id}: one model (by id or alias) as the key sees it, or 404 model_not_found. */
export const getModel = (gw: Gateway) => {
  const created = Math.floor(gw.now() / 1000);
  return function getModel(c: Context<AppEnv>): Response {
    const id = c.req.param('id');
    const model = id === undefined ? undefined : gw.models.get(id);
    const entry = model ? entryFor(gw, c, model, created) : undefined;
    if (!entry) throw errors.modelNotFound(id ?? '');
    return c.json(entry);
  };
};
