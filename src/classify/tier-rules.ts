import * as z from '../zod-mini.ts';
import { SHIPPED_WEIGHTS } from './shipped-weights.ts';

export const DEFAULT_TIERS = ['small', 'medium', 'large'] as const;

/**
 * The part of the fleet's routing policy that turns a classifier profile and the request's hints
 * into a tier. Every field has a default, so `TierRulesSchema.parse({})` is the shipped policy.
 */
/**
 * `reference` (the default) is the routing logic of the reference document's pattern 6:
 *   latency budget < 100 ms            → the edge tier (7B)
 *   simple, and quality needed < 0.8   → the regional tier (13B)
 *   anything else                      → the central tier (70B)
 * `scored` is Switchyard's richer policy: the score's own tier, raised by quality floors and
 * capped by latency budgets, with an explicit conflict rule.
 */
export const TIER_STRATEGIES = ['reference', 'scored'] as const;

const tierName = z.string().check(z.minLength(1));
const share = z.number().check(z.gte(0), z.lte(1));
const positive = z.number().check(z.positive());

export const TierRulesSchema = z
  .object({
    strategy: z._default(z.enum(TIER_STRATEGIES), 'reference'),
    /** Tier names, weakest (cheapest, closest) first. */
    tiers: z._default(z.array(tierName).check(z.minLength(1)), () => [...DEFAULT_TIERS]),
    /**
     * Score boundaries, one per pair of neighbouring tiers, ascending: a score at or above
     * scoreThresholds[i] goes at least to tiers[i + 1]. Defaults come from calibration.
     */
    scoreThresholds: z._default(z.array(share), () => [...SHIPPED_WEIGHTS.thresholds]),
    /** A stated latency budget at or under atMostMs caps the tier at maxTier (the tightest matching rule wins). */
    latencyBudgets: z._default(z.array(z.object({ atMostMs: positive, maxTier: tierName })), () => [
      { atMostMs: 500, maxTier: 'small' },
      { atMostMs: 2000, maxTier: 'medium' },
    ]),
    /** A stated minimum quality at or above atLeast raises the tier to at least minTier (the highest matching rule wins). */
    qualityFloors: z._default(z.array(z.object({ atLeast: share, minTier: tierName })), () => [
      { atLeast: 0.8, minTier: 'large' },
      { atLeast: 0.5, minTier: 'medium' },
    ]),
    /**
     * When the quality floor needs a bigger tier than the latency budget allows. 'quality' (the
     * default) serves the floor's tier and says the budget was overridden: a fast wrong answer
     * costs the caller more than a slow right one, and the route header tells them why.
     * 'latency' keeps the budget and says the floor is unmet.
     */
    onConflict: z._default(z.enum(['quality', 'latency']), 'quality'),
    /**
     * The reference strategy's constants and the tier serving each of its placements (the
     * compiler fills `placements` from the Tier documents, else from rank: first edge, last
     * central, the one between regional).
     */
    reference: z._default(
      z.object({
        edgeLatencyMs: z._default(positive, 100),
        regionalMaxQuality: z._default(share, 0.8),
        placements: z.optional(z.object({ edge: tierName, regional: tierName, central: tierName })),
      }),
      () => ({ edgeLatencyMs: 100, regionalMaxQuality: 0.8 }),
    ),
  })
  .check(
    z.superRefine((rules, ctx) => {
      const { tiers } = rules;
      if (new Set(tiers).size !== tiers.length) {
        ctx.addIssue({ code: 'custom', path: ['tiers'], message: 'tier names must be unique' });
      }
      if (rules.scoreThresholds.length !== tiers.length - 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['scoreThresholds'],
          message: `needs ${tiers.length - 1} threshold(s), one per boundary between the tiers ${tiers.join(', ')}`,
        });
      }
      rules.scoreThresholds.forEach((t, i) => {
        const before = rules.scoreThresholds[i - 1];
        if (before !== undefined && t < before) {
          ctx.addIssue({ code: 'custom', path: ['scoreThresholds', i], message: 'thresholds must be ascending' });
        }
      });
      const mustBeTier = (tier: string, path: (string | number)[]) => {
        if (!tiers.includes(tier)) {
          ctx.addIssue({ code: 'custom', path, message: `"${tier}" is not one of the tiers (${tiers.join(', ')})` });
        }
      };
      rules.latencyBudgets.forEach((b, i) => mustBeTier(b.maxTier, ['latencyBudgets', i, 'maxTier']));
      rules.qualityFloors.forEach((q, i) => mustBeTier(q.minTier, ['qualityFloors', i, 'minTier']));
      const placements = rules.reference.placements;
      if (placements) for (const p of ['edge', 'regional', 'central'] as const) mustBeTier(placements[p], ['reference', 'placements', p]);
    }),
  );

export type TierRules = z.infer<typeof TierRulesSchema>;
export type ReferencePlacements = NonNullable<TierRules['reference']['placements']>;

/** The tier serving each reference placement: declared, else by rank (first edge, last central, the one after the first regional). */
export function referencePlacements(rules: Pick<TierRules, 'tiers' | 'reference'>): ReferencePlacements {
  if (rules.reference.placements) return rules.reference.placements;
  const { tiers } = rules;
  const first = tiers[0] ?? '';
  const last = tiers[tiers.length - 1] ?? first;
  // Two tiers have no middle: the regional (cheaper than central) answer is the first.
  return { edge: first, regional: tiers.length > 2 ? (tiers[1] ?? first) : first, central: last };
}

export const DEFAULT_TIER_RULES: TierRules = TierRulesSchema.parse({});
