import raw from './weights.json' with { type: 'json' };
import { type ClassifierWeights, ClassifierWeightsSchema } from './weights.ts';

/** The calibrated weights that ship with the gateway (infra/classifier/fit.ts writes them). */
export const SHIPPED_WEIGHTS: ClassifierWeights = ClassifierWeightsSchema.parse(raw);
