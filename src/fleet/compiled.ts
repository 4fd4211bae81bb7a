import type { Capability } from '../api/openai-endpoints.ts';
import type { EdgeCachePolicy } from '../cache/policy.ts';
import type { TierRules } from '../classify/tier-rules.ts';
import type { LoadBalancer, PathStyle, Placement, RoutingPolicySpec, SageMakerOutputStyle } from './schema.ts';

/**
 * Where each path style serves OpenAI's routes: `/v1` (vLLM, kserve-vllmserver, llm-d) or
 * `/openai/v1` (KServe's Hugging Face runtime). Here, not in compile.ts, so runtime code (the
 * prober) can use it without pulling the YAML loader into the Worker bundle.
 */
export const PATH_PREFIX: Record<PathStyle, string> = { v1: '/v1', 'openai-v1': '/openai/v1' };

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
  /** The edge response cache (the CachePolicy's `edge` section, defaults filled in); absent = the defaults. */
  cache?: EdgeCachePolicy;
  /** By model id: its CachePolicy's prefixSharing, settled; a model not listed has vLLM's defaults. */
  prefixSharing?: Record<string, CompiledPrefixSharing>;
}

/** What prefix-affinity routing hashes by (src/route/prefix/settings.ts fills in the defaults). */
export interface CompiledPrefixSharing {
  /** vLLM prefix caching is on; without it, affinity gains nothing. */
  enabled: boolean;
  /** Tokens per KV block (vLLM --block-size). */
  blockSize: number;
  /** Prompts shorter than this many tokens are not routed by prefix. */
  minLength: number;
}

/** The routing policy with its tier rules settled (written, or derived from the fleet's tiers). */
export type CompiledRouting = Omit<RoutingPolicySpec, 'tierRules' | 'midStreamFailover'> & {
  tierRules: TierRules;
  /** Absent (a fleet compiled before the option existed): off. */
  midStreamFailover?: RoutingPolicySpec['midStreamFailover'];
};

export type Continent = 'AF' | 'AN' | 'AS' | 'EU' | 'NA' | 'OC' | 'SA';

export interface CompiledRegion {
  id: string;
  residency: string;
  location: { latitude: number; longitude: number; continent: Continent; country?: string };
  pricing: { inputPerMillionTokensUsd: number; outputPerMillionTokensUsd: number; cachedInputPerMillionTokensUsd?: number; gpuHourUsd?: number };
  /** Env var / Worker secret holding the region's upstream bearer token. */
  credentialsSecret?: string;
  kubeContext?: string;
  /** The pattern-6 placements this region hosts; absent = every placement. */
  placement?: Placement[];
}

export interface CompiledTier {
  name: string;
  rank: number;
  defaultModel?: string;
  placement?: Placement;
}

export interface CompiledModel {
  /** The id clients send as `model` and vLLM serves (served-model-name). */
  id: string;
  aliases: string[];
  tier?: string;
  /** The OpenAI routes it serves: declared (switchyard.dev/capabilities), else from how vLLM runs it. */
  capabilities: Capability[];
  /** Its tier's placement: edge routes to the nearest region serving it, regional / central to the regions hosting that placement. */
  placement?: Placement;
  loadBalancing: LoadBalancer;
  /** GPUs one replica holds (src/fleet/gpus.ts): a request's GPU-hour share is priced against it; absent when unknown. */
  gpusPerReplica?: number;
  /** The fleet resource that provisions it. */
  source: { kind: 'InferenceService' | 'LLMDeployment'; name: string; namespace: string };
}

export interface CompiledEndpoint {
  /** Stable id `region/model/n`, used for health, circuit breakers and headers. */
  id: string;
  model: string;
  region: string;
  /**
   * Base URL up to and including the OpenAI prefix (`.../v1` or `.../openai/v1`). For SageMaker,
   * the endpoint's runtime URL (`{runtime}/endpoints/{name}`), for logs and tooling only: the
   * SageMaker runtime client builds its request URLs from the `sagemaker` block.
   */
  baseUrl: string;
  pathStyle: PathStyle;
  weight: number;
  backend: 'vllm' | 'sagemaker';
  /** Present exactly when backend is 'sagemaker'. */
  sagemaker?: CompiledSageMaker;
}

/** A SageMaker real-time endpoint: what the runtime client needs to invoke it. */
export interface CompiledSageMaker {
  endpointName: string;
  awsRegion: string;
  inferenceComponent?: string;
  targetVariant?: string;
  /** How the LMI container answers: OpenAI chat/completion JSON and `data:` chunks, or TGI-style JSON lines. */
  outputStyle: SageMakerOutputStyle;
  /** Secret / env var names holding the AWS keys; resolved by the backend, once per isolate. */
  credentials: { accessKeyIdSecret: string; secretAccessKeySecret: string; sessionTokenSecret?: string };
  /** Runtime URL override (a local simulator, a VPC endpoint); absent = AWS's regional URL (backends/sagemaker/runtime-url.ts). */
  endpointUrl?: string;
}
