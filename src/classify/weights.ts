import * as z from '../zod-mini.ts';
import { FEATURE_NAMES } from './features.ts';

const positive = z.number().check(z.positive());

/** How a raw feature becomes a number in 0..1 before it is weighted. */
export const NormalizationSchema = z.discriminatedUnion('kind', [
  // ln(x) mapped from [ln min, ln max] onto [0, 1]: for sizes that span orders of magnitude.
  z.object({ kind: z.literal('log-range'), min: positive, max: positive }),
  // ln(1 + x) / ln(1 + cap): for evidence counts, where the first few matter most.
  z.object({ kind: z.literal('log1p-cap'), cap: positive }),
  // x / max: for values that are already shares.
  z.object({ kind: z.literal('linear'), max: positive }),
]);
export type Normalization = z.infer<typeof NormalizationSchema>;

/**
 * The shipped classifier: a logistic model over normalized features, the score thresholds that
 * were chosen with it, and where it came from. Written by infra/classifier/fit.ts.
 */
export const ClassifierWeightsSchema = z
  .object({
    model: z.literal('logistic'),
    /** The serving intercept: the mean of the per-source intercepts of the fit. */
    bias: z.number(),
    /** Each calibration source's own intercept (its base rate of "needs the strong model"). */
    sourceIntercepts: z._default(z.record(z.string(), z.number()), {}),
    features: z.array(
      z
        .object({
          name: z.enum(FEATURE_NAMES),
          normalize: NormalizationSchema,
          weight: z.number(),
          /** The hand-set prior the fit was pulled towards; the weight itself when the data could not move it. */
          prior: z.number(),
          /** The least weight fitting may give it: the length prior's floor, 0 for a cue (evidence never counts against the strong model). */
          min: z._default(z.number().check(z.gte(0)), 0),
          /** fitted by the calibration; kept at its prior (the data never exercised it); or reported only, not scored. */
          source: z.enum(['fitted', 'prior', 'unscored']),
        })
        .check(
          z.refine((f) => f.weight >= f.min, { message: 'weight is below its floor (min)', path: ['weight'] }),
          z.refine((f) => f.source !== 'unscored' || f.weight === 0, { message: 'an unscored feature has weight 0', path: ['weight'] }),
        ),
    ),
    /** Score boundaries between consecutive default tiers (small|medium, medium|large), ascending. */
    thresholds: z.array(z.number().check(z.gte(0), z.lte(1))),
    provenance: z.record(z.string(), z.unknown()),
  })
  .check(
    z.refine((w) => FEATURE_NAMES.every((name) => w.features.filter((f) => f.name === name).length === 1), {
      message: `features must list each of ${FEATURE_NAMES.join(', ')} exactly once`,
      path: ['features'],
    }),
    z.refine((w) => w.thresholds.every((t, i) => i === 0 || t >= (w.thresholds[i - 1] ?? 0)), {
      message: 'thresholds must be ascending',
      path: ['thresholds'],
    }),
  );

export type ClassifierWeights = z.infer<typeof ClassifierWeightsSchema>;
