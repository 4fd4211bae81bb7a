import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { Gateway } from '../gateway.ts';
import { modelAllowed } from '../auth/model-access.ts';
import { defer } from './defer.ts';
import { healthy } from '../route/filters/healthy.ts';
import { keyScope } from '../route/filters/key-scope.ts';
import { notSaturated } from '../route/filters/not-saturated.ts';

const scope = keyScope();
const available = [healthy(), notSaturated()];

/**
 * GET /v1/models, the global model registry as the caller's key sees it: each model with an
 * endpoint in the key's scope, the regions that serve it there (fleet file), and the regions
 * that can take a request right now (prober snapshot, circuit breakers, saturation).
 */
export const listModels = (gw: Gateway) => {
  // `created` is when this gateway loaded the fleet, the closest thing to a creation time it knows.
  const created = Math.floor(gw.now() / 1000);
  return function listModels(c: Context<AppEnv>): Response {
    const key = c.get('key');
    const state = gw.live.view(gw.now(), gw.health?.current((work) => defer(c, () => work)));
    const data = [];
    for (const model of gw.fleet.models) {
      if (!modelAllowed(key, model)) continue;
      const request = { model, key, caller: undefined };
      const reachable = scope.filter(request, gw.candidates.get(model.id) ?? [], state);
      if (reachable.length === 0) continue;
      const up = available.reduce((cands, f) => f.filter(request, cands, state), reachable);
      data.push({
        id: model.id,
        object: 'model' as const,
        created,
        owned_by: 'switchyard',
        ...(model.tier ? { tier: model.tier } : {}),
        regions: [...new Set(reachable.map((cand) => cand.region.id))],
        available_regions: [...new Set(up.map((cand) => cand.region.id))],
      });
    }
    // `auto` and each tier name are models too: routing picks the concrete one per request.
    const reachable = new Set(data.map((m) => m.id));
    const tiers = [...gw.tierModels].filter(([, model]) => reachable.has(model.id)).map(([tier]) => tier);
    if (tiers.length > 0) {
      for (const id of ['auto', ...tiers]) {
        data.push({ id, object: 'model' as const, created, owned_by: 'switchyard', ...(id === 'auto' ? {} : { tier: id }), regions: [], available_regions: [] });
      }
    }
    return c.json({ object: 'list', data });
  };
};
