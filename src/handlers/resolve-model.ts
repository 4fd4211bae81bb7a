import { errors, GatewayError } from '../api/errors.ts';
import type { Capability } from '../api/openai-endpoints.ts';
import { chooseTier, type TierHints } from '../classify/choose-tier.ts';
import { classify } from '../classify/classify.ts';
import type { ClassifyRequest } from '../classify/request.ts';
import type { CompiledModel } from '../fleet/compiled.ts';
import type { Gateway } from '../gateway.ts';

export const AUTO_MODEL = 'auto';

export interface Resolution {
  model: CompiledModel;
  /** The tier that served it (the classifier's pick, or the model's own tier label). */
  tier: string | undefined;
  /** Why this tier, when the tier was chosen here (`auto` or a tier name). */
  tierReason?: string;
}

const number = (header: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (header === undefined) return undefined;
  const n = Number(header);
  if (header.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new GatewayError(400, `Header ${name} must be a number between ${min} and ${max}.`, { code: 'invalid_header', param: name });
  }
  return n;
};

export function readHints(header: (name: string) => string | undefined): TierHints {
  const hints: TierHints = {};
  const latency = number(header('x-max-latency-ms'), 'x-max-latency-ms', 1, 3_600_000);
  const quality = number(header('x-min-quality'), 'x-min-quality', 0, 1);
  if (latency !== undefined) hints.maxLatencyMs = latency;
  if (quality !== undefined) hints.minQuality = quality;
  return hints;
}

/**
 * `model` → the model to serve. A concrete id (or alias) bypasses classification. `auto`
 * classifies the request and lets the tier rules pick; a tier name is served as named under the
 * reference strategy, and under `scored` starts from that tier while the caller's latency
 * budget and quality floor still move it. A tier with no model in the fleet moves to the nearest
 * larger tier that has one (never silently to a weaker one), else the nearest smaller.
 */
export function resolveModel(gw: Gateway, requested: string, request: ClassifyRequest, hints: TierHints, route: { path: string; capability: Capability } = CHAT): Resolution {
  const resolution = resolveName(gw, requested, request, hints);
  if (!resolution.model.capabilities.includes(route.capability)) {
    throw errors.notServedHere(resolution.model.id, route.path, gw.fleet.models.filter((m) => m.capabilities.includes(route.capability)).map((m) => m.id));
  }
  return resolution;
}

const CHAT = { path: '/v1/chat/completions', capability: 'chat' } as const;

/** Per tier list (the fleet's, for its life), each tier's search order: itself, the larger tiers up, then the smaller down. */
const searches = new WeakMap<readonly string[], Map<string, readonly string[]>>();

function tierSearch(order: readonly string[], tier: string): readonly string[] {
  let byTier = searches.get(order);
  if (!byTier) searches.set(order, (byTier = new Map()));
  let search = byTier.get(tier);
  if (!search) {
    const at = order.indexOf(tier);
    search = at < 0 ? [tier] : [...order.slice(at), ...order.slice(0, at).reverse()];
    // Tiers outside the list (none come from the rules, but a bound all the same) are not kept.
    if (at >= 0) byTier.set(tier, search);
  }
  return search;
}

function resolveName(gw: Gateway, requested: string, request: ClassifyRequest, hints: TierHints): Resolution {
  const direct = gw.models.get(requested);
  if (direct) return { model: direct, tier: direct.tier };

  const rules = gw.fleet.routing.tierRules;
  let tier: string;
  let reason: string;
  if (requested === AUTO_MODEL) {
    const choice = chooseTier(classify(request, { rules }), hints, rules);
    tier = choice.tier;
    reason = choice.reason;
  } else if (rules.tiers.includes(requested) && rules.strategy === 'reference') {
    // The reference's logic decides for requests that leave the choice open; a named tier is the caller's choice.
    tier = requested;
    reason = `tier=${requested}`;
  } else if (rules.tiers.includes(requested)) {
    // A named tier enters the same rules as a score sitting exactly on that tier's threshold,
    // so latency budgets and quality floors move it the same way they would move `auto`.
    const index = rules.tiers.indexOf(requested);
    const choice = chooseTier({ score: index === 0 ? 0 : (rules.scoreThresholds[index - 1] ?? 0) }, hints, rules);
    tier = choice.tier;
    reason = choice.tier === requested ? `tier=${requested}` : choice.reason;
  } else {
    throw errors.modelNotFound(requested);
  }

  for (const candidate of tierSearch(rules.tiers, tier)) {
    const model = gw.tierModels.get(candidate);
    if (model) return { model, tier: candidate, tierReason: candidate === tier ? reason : `${reason} ${tier}-unserved->${candidate}` };
  }
  throw new GatewayError(503, `No model is configured for tier \`${tier}\` or any other tier.`, { code: 'no_model_for_tier' });
}
