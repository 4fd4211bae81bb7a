import type { Context } from 'hono';
import type { AppEnv } from '../app-env.ts';
import type { Gateway } from '../gateway.ts';
import { keyScope } from '../route/filters/key-scope.ts';

const scope = keyScope();

/** GET /v1/models: the models the caller's key may reach, with the regions it may reach them in. */
export const listModels = (gw: Gateway) => {
  // `created` is when this gateway loaded the fleet, the closest thing to a creation time it knows.
  const created = Math.floor(gw.now() / 1000);
  return function listModels(c: Context<AppEnv>): Response {
    const key = c.var.key;
    const data = [];
    for (const model of gw.fleet.models) {
      const reachable = scope.filter({ model, key, caller: undefined }, gw.candidates.get(model.id) ?? [], gw.live.view(0));
      if (reachable.length === 0) continue;
      data.push({
        id: model.id,
        object: 'model' as const,
        created,
        owned_by: 'switchyard',
        ...(model.tier ? { tier: model.tier } : {}),
        regions: [...new Set(reachable.map((cand) => cand.region.id))],
      });
    }
    // `auto` and each tier name are models too: routing picks the concrete one per request.
    const reachable = new Set(data.map((m) => m.id));
    const tiers = [...gw.tierModels].filter(([, model]) => reachable.has(model.id)).map(([tier]) => tier);
    if (tiers.length > 0) {
      for (const id of ['auto', ...tiers]) {
        data.push({ id, object: 'model' as const, created, owned_by: 'switchyard', ...(id === 'auto' ? {} : { tier: id }), regions: [] });
      }
    }
    return c.json({ object: 'list', data });
  };
};
