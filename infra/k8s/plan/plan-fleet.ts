import type { Fleet } from '../../../src/fleet/load.ts';
import { LABEL } from '../../../src/fleet/schema.ts';
import { fleetModels, regionsOf, type FleetModel } from '../fleet-model.ts';
import type { GpuShape } from './gpus.ts';
import type { Precision } from './memory.ts';
import { PROMPT_PROFILES, type PlanInput, type PromptProfile, type Traffic } from './plan-input.ts';
import { recommend, type Recommendation } from './recommend.ts';

/** What the operator tells `infra plan` that the fleet file does not say. */
export interface PlanFlags {
  gpu: GpuShape;
  gpusPerNode: number;
  traffic?: Traffic;
  rps?: number;
  prompt: PromptProfile;
  maxModelLen?: number;
  ttftMs?: number;
  itlMs?: number;
  paramsB?: number;
  precision?: Precision;
}

export interface RegionCost {
  region: string;
  gpuHourUsd?: number;
  /** Dollars per hour at the configured minimum and maximum replica counts. */
  configuredUsdPerHour?: { min: number; max: number };
  recommendedUsdPerHour?: { min: number; max: number };
}

export interface ModelPlan {
  model: string;
  kind: FleetModel['resource']['kind'];
  configured: FleetModel['configured'] & { gpusPerReplica: number; replicas: { min: number; max: number } };
  input: PlanInput;
  /** Inputs that were assumed or inferred rather than read or given. */
  assumptions: string[];
  recommendation: Recommendation;
  regions: RegionCost[];
}

export const DEFAULT_RPS = 1;
export const DEFAULT_MAX_MODEL_LEN = 8192;

/** The planner's inputs for one fleet model: its resources and args first, then flags, then stated defaults. */
export function planInputFor(model: FleetModel, flags: PlanFlags): { input: PlanInput; assumptions: string[] } {
  const assumptions: string[] = [];
  const paramsB = flags.paramsB ?? model.paramsB;
  if (paramsB === undefined) throw new Error(`${model.resource.kind} "${model.name}": cannot tell the model size from its names; pass --params <billions>`);
  let traffic = flags.traffic ?? model.traffic;
  if (traffic === undefined) {
    traffic = model.replicas.max > model.replicas.min ? 'variable' : model.replicas.min > 1 ? 'steady' : 'sporadic';
    assumptions.push(`traffic ${traffic} (from replica bounds ${model.replicas.min}..${model.replicas.max}; the ${LABEL.traffic} annotation or --traffic to say)`);
  }
  if (flags.rps === undefined) assumptions.push(`${DEFAULT_RPS} rps peak (--rps to say)`);
  const profile = PROMPT_PROFILES[flags.prompt];
  return {
    input: {
      paramsB,
      precision: flags.precision ?? model.precision,
      gpu: flags.gpu,
      gpusPerNode: flags.gpusPerNode,
      traffic,
      rps: flags.rps ?? DEFAULT_RPS,
      promptTokens: profile.promptTokens,
      outputTokens: profile.outputTokens,
      maxModelLen: flags.maxModelLen ?? model.maxModelLen ?? DEFAULT_MAX_MODEL_LEN,
      ...(flags.ttftMs !== undefined ? { ttftMs: flags.ttftMs } : {}),
      ...(flags.itlMs !== undefined ? { itlMs: flags.itlMs } : {}),
    },
    assumptions,
  };
}

const cost = (gpuHourUsd: number | undefined, gpus: number, replicas: { min: number; max: number }) =>
  gpuHourUsd === undefined ? undefined : { min: gpuHourUsd * gpus * replicas.min, max: gpuHourUsd * gpus * replicas.max };

/** GPUs per replica the fleet configures (prefill pool included for llm-d, as whole-deployment cost). */
const configuredGpus = (m: FleetModel) => m.gpusPerReplica ?? Math.max(1, (m.tensorParallel ?? 1) * (m.pipelineParallel ?? 1));

/** One plan per model of the fleet, with the cost of configured and recommended layouts in each of its regions. */
export function planFleet(fleet: Fleet, flags: PlanFlags, only?: string): ModelPlan[] {
  const models = fleetModels(fleet).filter((m) => only === undefined || m.id === only || m.name === only);
  if (only !== undefined && models.length === 0) throw new Error(`no model "${only}" in ${fleet.source}`);
  return models.map((m) => {
    const { input, assumptions } = planInputFor(m, flags);
    const recommendation = recommend(input);
    const gpus = configuredGpus(m);
    const recommendedGpus = recommendation.sizing.fit?.gpus ?? gpus;
    const prefillGpus = (m.prefillReplicas ?? 0) * gpus;
    const recommendedPrefill = (recommendation.pools?.prefill ?? 0) * recommendedGpus;
    return {
      model: m.id,
      kind: m.resource.kind,
      configured: { ...m.configured, gpusPerReplica: gpus, replicas: m.replicas },
      input,
      assumptions,
      recommendation,
      regions: regionsOf(m.resource, fleet).map((r) => {
        const price = r.spec.pricing.gpuHourUsd;
        const configured = cost(price, gpus, m.replicas);
        const recommended = cost(price, recommendedGpus, recommendation.replicas);
        const plus = (c: { min: number; max: number } | undefined, extra: number) =>
          c && price !== undefined ? { min: c.min + extra * price, max: c.max + extra * price } : c;
        return {
          region: r.metadata.name,
          ...(price !== undefined ? { gpuHourUsd: price } : {}),
          ...(configured ? { configuredUsdPerHour: plus(configured, prefillGpus) } : {}),
          ...(recommended ? { recommendedUsdPerHour: plus(recommended, recommendedPrefill) } : {}),
        } satisfies RegionCost;
      }),
    };
  });
}

