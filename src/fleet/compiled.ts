import type { TierRules } from '../classify/tier-rules.ts';
import type { LoadBalancer, PathStyle, RoutingPolicySpec } from './schema.ts';

/**
 * The edge's view of the fleet: what the Worker bundles (as JSON) and routes by. Plain data,
 * already validated and cross-checked, so nothing on the request path re-validates it.
 */
export interface CompiledFleet {
  version: 1;
  source: string;
  regions: CompiledRegion[];
  tiers: CompiledTier[];
  models: CompiledModel[];
  endpoints: CompiledEndpoint[];
  routing: CompiledRouting;
}

/** The routing policy with its tier rules settled (written, or derived from the fleet's tiers). */
export type CompiledRouting = Omit<RoutingPolicySpec, 'tierRules'> & { tierRules: TierRules };

export type Continent = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA';

export interface CompiledRegion {
  id: string;
  residency: string;
  location: { latitude: number; longitude: number; continent: Continent; country?: string };
  pricing: { inputPerMillionTokensUsd: number; outputPerMillionTokensUsd: number; gpuHourUsd?: number };
  /** Env var / Worker secret holding the region's upstream bearer token. */
  credentialsSecret?: string;
  kubeContext?: string;
}

export interface CompiledTier {
  name: string;
  rank: number;
  defaultModel?: string;
}

export interface CompiledModel {
  /** The id clients send as `model` and vLLM serves (served-model-name). */
  id: string;
  aliases: string[];
  tier?: string;
  loadBalancing: LoadBalancer;
  /** The fleet resource that provisions it. */
  source: { kind: 'InferenceService' | 'LLMDeployment'; name: string; namespace: string };
}

export interface CompiledEndpoint {
  /** Stable id `region/model/n`, used for health, circuit breakers and headers. */
  id: string;
  model: string;
  region: string;
  /** Base URL up to and including the OpenAI prefix (`.../v1` or `.../openai/v1`). */
  baseUrl: string;
  pathStyle: PathStyle;
  weight: number;
  backend: 'vllm';
}
