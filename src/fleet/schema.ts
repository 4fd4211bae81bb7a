import { z } from 'zod';
import { parseBytes, parseDuration } from '../cache/units.ts';
import { quantityBytes } from './quantity.ts';
import { TierRulesSchema } from '../classify/tier-rules.ts';

/**
 * The fleet file's document kinds. Reference resources (KServe InferenceService, the
 * LLMDeployment and CachePolicy examples) are accepted as written: fields Switchyard reads
 * are typed, everything else is kept (loose objects) for infra to render. Switchyard's own
 * kinds (Region, Tier, RoutingPolicy) fill in what the reference leaves implicit.
 */

export const SWITCHYARD_API = 'switchyard.dev/v1alpha1';

/** Labels and annotations that attach a model resource to Switchyard's world. */
export const LABEL = {
  tier: 'switchyard.dev/tier',
  regions: 'switchyard.dev/regions',
  region: 'switchyard.dev/region',
  model: 'switchyard.dev/model',
  aliases: 'switchyard.dev/aliases',
  loadBalancing: 'switchyard.dev/load-balancing',
  cachePolicy: 'switchyard.dev/cache-policy',
  /** The OpenAI routes a model serves (chat, completions, responses, embeddings, rerank, score, transcription, tokenize); default: from how vLLM runs it. */
  capabilities: 'switchyard.dev/capabilities',
  /** The model's traffic shape (sporadic, steady, variable, high): what `infra plan` and the anti-pattern checks judge it by. */
  traffic: 'switchyard.dev/traffic',
} as const;

/** The reference's three tiers of pattern 6: where a tier's model runs, and which regions host each. */
export const PLACEMENTS = ['edge', 'regional', 'central'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** The traffic shapes of the reference's decision matrix (`any` is the matrix's wildcard, not a shape). */
export const TRAFFIC_SHAPES = ['sporadic', 'steady', 'variable', 'high'] as const;
export type TrafficShape = (typeof TRAFFIC_SHAPES)[number];

/** What kind of fleet this is: production fleets get the reference's anti-pattern warnings. */
export const ENVIRONMENTS = ['production', 'staging', 'development'] as const;

const name = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase DNS-1123 name (a-z, 0-9, "-", ".")');

const stringMap = z.record(z.string(), z.string());

export const MetadataSchema = z.looseObject({
  name,
  namespace: name.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
});

/** Kubernetes quantities and durations arrive as numbers or strings ("4", "80Gi", "1h"). */
const quantity = z.union([z.string(), z.number()]);

// ---------------------------------------------------------------- Switchyard kinds

const continent = z.enum(['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA']);

export const PATH_STYLES = ['v1', 'openai-v1'] as const;
export type PathStyle = (typeof PATH_STYLES)[number];

export const LOAD_BALANCERS = ['round-robin', 'least-connections', 'weighted-round-robin', 'consistent-hash', 'p2c-ewma'] as const;
export type LoadBalancer = (typeof LOAD_BALANCERS)[number];

const vllmEndpoint = z.strictObject({
  /** Served model id this endpoint answers for. */
  model: z.string().min(1),
  /** Optional, so entries written before SageMaker existed keep their meaning. */
  backend: z.literal('vllm').default('vllm'),
  url: z.url({ protocol: /^https?$/ }),
  pathStyle: z.enum(PATH_STYLES).default('v1'),
  weight: z.number().positive().default(1),
  name: name.optional(),
});

/** The two response formats of SageMaker's LMI (djl-serving) containers. */
export const SAGEMAKER_OUTPUT_STYLES = ['openai-sse', 'json-lines'] as const;
export type SageMakerOutputStyle = (typeof SAGEMAKER_OUTPUT_STYLES)[number];

const secretName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an env-var style name');

/** A SageMaker real-time endpoint, reached through the SageMaker runtime API with SigV4. */
const sageMakerEndpoint = z.strictObject({
  model: z.string().min(1),
  backend: z.literal('sagemaker'),
  endpointName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'must be a SageMaker endpoint name (letters, digits, "-", at most 63)'),
  awsRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1'),
  inferenceComponent: z.string().min(1).optional(),
  targetVariant: z.string().min(1).optional(),
  outputStyle: z.enum(SAGEMAKER_OUTPUT_STYLES),
  /** Names of the Worker secrets / env vars holding the AWS keys (never the keys themselves). */
  credentials: z.strictObject({
    accessKeyIdSecret: secretName,
    secretAccessKeySecret: secretName,
    sessionTokenSecret: secretName.optional(),
  }),
  /** Overrides the regional runtime URL: a local simulator, a VPC interface endpoint. */
  endpointUrl: z.url({ protocol: /^https?$/ }).optional(),
  weight: z.number().positive().default(1),
  name: name.optional(),
});

const explicitEndpoint = z.discriminatedUnion('backend', [vllmEndpoint, sageMakerEndpoint]);

export const RegionSpecSchema = z.strictObject({
  location: z.strictObject({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    continent,
    country: z.string().length(2).optional(),
  }),
  /** Data-residency zone: keys scoped to a zone are never served outside it. */
  residency: z.string().min(1),
  kubeContext: z.string().min(1).optional(),
  namespace: name.default('llm'),
  ingress: z
    .strictObject({
      domain: z.string().min(1),
      scheme: z.enum(['http', 'https']).default('https'),
    })
    .optional(),
  pricing: z
    .strictObject({
      /** What a GPU costs per hour here: requests are priced by their share of it when no token price is set. */
      gpuHourUsd: z.number().nonnegative().optional(),
      inputPerMillionTokensUsd: z.number().nonnegative().default(0),
      outputPerMillionTokensUsd: z.number().nonnegative().default(0),
      /** Prompt tokens vLLM's prefix cache served; the input price when absent. */
      cachedInputPerMillionTokensUsd: z.number().nonnegative().optional(),
    })
    .default({ inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0 }),
  /** Name of the Worker secret / env var holding this region's upstream bearer token. */
  credentials: z.strictObject({ secretName: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an env-var style name') }).optional(),
  /** Endpoints given by URL (local simulators, clusters outside KServe) or SageMaker endpoints; they replace derived ones per model. */
  endpoints: z.array(explicitEndpoint).default([]),
  /**
   * The pattern-6 placements this region hosts (edge, regional, central). Left out, the region
   * hosts every placement; a tier with a placement is only routed to regions that host it.
   */
  placement: z.array(z.enum(PLACEMENTS)).min(1).optional(),
});

export const TierSpecSchema = z.strictObject({
  /** Order from small/edge (1) to large/central; tier choice walks this order. */
  rank: z.number().int().min(1),
  description: z.string().optional(),
  /** Model used when a request names the tier (or `auto` picks it); defaults to the first model in the tier. */
  defaultModel: z.string().optional(),
  /**
   * Pattern 6: edge (the nearest region serving it), regional or central (only regions whose
   * placement includes it). Left out, the tier is routed like any model.
   */
  placement: z.enum(PLACEMENTS).optional(),
});

export const TimeoutsSchema = z.strictObject({
  connectMs: z.number().int().positive().default(3_000),
  firstByteMs: z.number().int().positive().default(60_000),
  totalMs: z.number().int().positive().default(600_000),
  /** Longest silence tolerated between two streamed chunks. */
  streamIdleMs: z.number().int().positive().default(60_000),
});

const tenantKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a tenant name: 1-64 of A-Z a-z 0-9 . _ -');

const FairnessSchema = z.strictObject({
  endpointConcurrency: z.number().int().positive().optional(),
  weights: z.record(tenantKey, z.number().positive()).default({}),
  defaultWeight: z.number().positive().default(1),
  /** Tenant → the InferenceObjective name its requests carry (x-gateway-inference-objective); `default` for everyone else. */
  objectives: z.record(z.union([tenantKey, z.literal('default')]), z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, 'a Kubernetes object name')).default({}),
});

export const RoutingPolicySpecSchema = z.strictObject({
  /**
   * Scorer weights (src/route/registry.ts names the scorers). `error-rate` is in both profiles
   * even when not named here, at twice the other weights together; naming it sets its weight
   * (0 turns it off).
   */
  weights: z.record(z.string(), z.number().nonnegative()).default({ geo: 1 }),
  loadBalancing: z.enum(LOAD_BALANCERS).default('round-robin'),
  timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})),
  limits: z
    .strictObject({
      maxBodyBytes: z.number().int().positive().default(4 * 1024 * 1024),
      /** Multipart uploads (audio for transcription), streamed through: OpenAI's own limit by default. */
      maxUploadBytes: z.number().int().positive().default(25 * 1024 * 1024),
    })
    .default({ maxBodyBytes: 4 * 1024 * 1024, maxUploadBytes: 25 * 1024 * 1024 }),
  /**
   * Browsers calling the gateway directly: the origins allowed (exact, e.g.
   * "https://app.example.com", or "*"). Default none: no cross-origin access.
   */
  cors: z
    .strictObject({
      allowedOrigins: z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ }).transform((u) => new URL(u).origin)])).default([]),
      maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
    })
    .default({ allowedOrigins: [], maxAgeSeconds: 600 }),
  /**
   * How `model: "auto"` and tier names pick a tier; the classifier module owns the shape and
   * defaults. Left out, the compiler derives the rules from the fleet's own Tier documents.
   */
  tierRules: z.optional(TierRulesSchema),
  /** Production fleets are checked for the reference's anti-patterns (single points of failure, fixed scaling, no cache). */
  environment: z.enum(ENVIRONMENTS).default('production'),
  /**
   * Fairness under saturation. Once an endpoint has `endpointConcurrency` requests in flight from
   * this gateway, each tenant with requests there keeps a share of it in proportion to its
   * weight (default `defaultWeight`), so the loudest tenant cannot take it all: a tenant over its
   * share gets 429 while the others still get through. Every request also carries its tenant
   * upstream as the llm-d / Gateway API Inference Extension fairness id, and `objectives` names
   * the InferenceObjective (its priority) for a tenant's requests, so the cluster's scheduler
   * continues what the edge started.
   */
  fairness: FairnessSchema.optional(),
  /**
   * vLLM's `kv_transfer_params` (disaggregated prefill/decode: which engine, host and port hold a
   * request's KV blocks) from clients. Off by default: a client could steer KV transfers to hosts
   * of its choosing, so a body carrying it is refused with 400. With `fromClients: true` it passes,
   * as long as every host it names is one of the fleet's endpoints or listed in `remoteHosts`
   * (the pods of the P/D pools, which the fleet file does not name).
   */
  kvTransfer: z
    .strictObject({
      fromClients: z.boolean().default(false),
      remoteHosts: z.array(z.string().min(1)).default([]),
    })
    .default({ fromClients: false, remoteHosts: [] }),
  /**
   * Mid-stream failover, opt-in. A streamed chat or text completion whose upstream dies after its
   * first bytes is continued on another endpoint (another region first): the request is sent
   * again with the text streamed so far as a final assistant message to continue (vLLM's
   * `continue_final_message`) or appended to the prompt, and the continuation is relayed as the
   * same stream, same id, no text twice or missing; with `n > 1` each unfinished choice on its
   * own. At most `maxContinuations` times per choice;
   * the text so far is kept up to `maxTextChars` (a longer answer ends with the error event as
   * without the option). Off, a stream cut midway ends with the `stream_truncated` error event.
   */
  midStreamFailover: z
    .strictObject({
      enabled: z.boolean().default(false),
      maxContinuations: z.number().int().min(1).max(5).default(2),
      maxTextChars: z.number().int().min(1).max(4 * 1024 * 1024).default(256 * 1024),
    })
    .default({ enabled: false, maxContinuations: 2, maxTextChars: 256 * 1024 }),
});

// ---------------------------------------------------------------- Reference resources

const resources = z.looseObject({ requests: z.record(z.string(), quantity).optional(), limits: z.record(z.string(), quantity).optional() });

const modelFormat = z.looseObject({ name: z.string().min(1), version: z.string().optional() });

const envVar = z.looseObject({ name: z.string().min(1), value: z.string().optional() });

export const PredictorSchema = z.looseObject({
  /**
   * The reference writes GPUs and memory here (pod level). Kubernetes' pod-level resources take
   * cpu and memory only, so infra moves them onto the model container, where GPUs can be set.
   */
  resources: resources.optional(),
  minReplicas: z.number().int().min(0).optional(),
  maxReplicas: z.number().int().min(0).optional(),
  scaleTarget: z.number().int().positive().optional(),
  scaleMetric: z.string().optional(),
  containerConcurrency: z.number().int().min(0).optional(),
  model: z
    .looseObject({
      modelFormat,
      runtime: z.string().optional(),
      storageUri: z.string().optional(),
      args: z.array(z.string()).optional(),
      /** TENSOR_PARALLEL_SIZE / PIPELINE_PARALLEL_SIZE here (the reference's spelling) become vLLM's parallelism flags. */
      env: z.array(envVar).optional(),
      resources: resources.optional(),
    })
    .optional(),
  workerSpec: z.looseObject({}).optional(),
});

type ResourceBlock = { requests?: Record<string, string | number> | undefined; limits?: Record<string, string | number> | undefined } | undefined;

/** "4" and 4, "80Gi" and 85899345920 are one amount; anything unparsable compares as written. */
const sameAmount = (a: string | number, b: string | number) => {
  const x = quantityBytes(a);
  const y = quantityBytes(b);
  return x !== undefined && y !== undefined ? x === y : String(a).trim() === String(b).trim();
};

export const InferenceServiceSpecSchema = z.looseObject({ predictor: PredictorSchema }).superRefine((spec, ctx) => {
  // GPUs and memory may be written at predictor level (the reference) or on the model container
  // (KServe); both is fine while they agree, and a clear error when they do not.
  const pod: ResourceBlock = spec.predictor.resources;
  const container: ResourceBlock = spec.predictor.model?.resources;
  for (const side of ['requests', 'limits'] as const) {
    for (const [name, amount] of Object.entries(pod?.[side] ?? {})) {
      const other = container?.[side]?.[name];
      if (other !== undefined && !sameAmount(amount, other)) {
        ctx.addIssue({
          code: 'custom',
          path: ['predictor', 'resources', side, name],
          message: `${name} is ${String(amount)} here but ${String(other)} in predictor.model.resources.${side}: write it once, or make both agree`,
        });
      }
    }
  }
});

/**
 * A pool's resources: Kubernetes' requests/limits, or the reference's shorthand
 * (`gpu: 2`, `memory: 80Gi`, `cpu`), which means the same amount requested and limited.
 */
const poolResources = z.looseObject({
  requests: z.record(z.string(), quantity).optional(),
  limits: z.record(z.string(), quantity).optional(),
  gpu: z.number().int().min(0).optional(),
  memory: quantity.optional(),
  cpu: quantity.optional(),
});

const phase = z.looseObject({
  replicas: z.number().int().min(0).optional(),
  /** Sequences one engine batches at most: vLLM's --max-num-seqs. */
  batchSize: z.number().int().positive().optional(),
  resources: poolResources.optional(),
  parallelism: z.looseObject({ tensor: z.number().int().positive().optional(), pipeline: z.number().int().positive().optional() }).optional(),
});

export const SERVING_MODES = ['disaggregated', 'aggregated'] as const;

export const LLMDeploymentSpecSchema = z.looseObject({
  model: z.union([
    z.string().min(1),
    z.looseObject({ name: z.string().min(1).optional(), uri: z.string().optional(), modelUri: z.string().optional(), runtime: z.string().optional() }),
  ]),
  /** The reference's spelling: serving.mode with its prefill and decode pools. */
  serving: z
    .looseObject({
      mode: z.enum(SERVING_MODES).optional(),
      prefill: phase.optional(),
      decode: phase.optional(),
    })
    .optional(),
  /** The KV cache the pools share: distributed (one volume every pod reads and writes) or local (per pod). */
  cache: z.looseObject({ type: z.enum(['distributed', 'local']), size: quantity }).optional(),
  prefill: phase.optional(),
  decode: phase.optional(),
  tensorParallelSize: z.number().int().positive().optional(),
  router: z.looseObject({}).optional(),
  routing: z.looseObject({}).optional(),
  scheduler: z.looseObject({}).optional(),
}).superRefine((spec, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  for (const pool of ['prefill', 'decode'] as const) {
    if (spec.serving?.[pool] && spec[pool]) issue(['serving', pool], `${pool} is written twice (spec.${pool} and spec.serving.${pool}): keep one`);
    for (const [at, phase] of [[['serving', pool], spec.serving?.[pool]], [[pool], spec[pool]]] as const) {
      const res = phase?.resources;
      if (res?.gpu === undefined) continue;
      for (const side of ['requests', 'limits'] as const) {
        const written = res[side]?.['nvidia.com/gpu'];
        if (written !== undefined && !sameAmount(written, res.gpu)) {
          issue([...at, 'resources', 'gpu'], `gpu is ${res.gpu} but ${side}["nvidia.com/gpu"] is ${String(written)}: write it once, or make both agree`);
        }
      }
    }
  }
  const prefill = spec.serving?.prefill ?? spec.prefill;
  if (spec.serving?.mode === 'disaggregated' && !prefill) issue(['serving', 'mode'], 'disaggregated serving needs a prefill pool (serving.prefill)');
  if (spec.serving?.mode === 'aggregated' && prefill) issue(['serving', 'mode'], 'aggregated serving has no prefill pool: remove serving.prefill or say mode: disaggregated');
});

export const EVICTION_POLICIES = ['lru', 'lfu', 'fifo'] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

const cacheTier = z.looseObject({
  name: z.string().optional(),
  type: z.string().optional(),
  size: quantity.optional(),
  capacity: quantity.optional(),
  eviction: z.string().optional(),
  evictionPolicy: z.string().optional(),
  ttl: quantity.optional(),
});

const duration = quantity.refine((v) => parseDuration(v) !== undefined, 'must be a duration such as "500ms", "90s", "30m", "1h", "7d" or a number of seconds');
const bytes = quantity.refine((v) => parseBytes(v) !== undefined, 'must be a size such as "512Ki", "16Mi", "1Gi" or a number of bytes');
// L2 and L3 are sized and evicted by their platform; saying otherwise in the file would mislead.
const platformSized = (tier: string, owner: string) => ({
  error: (issue: { code?: string }) =>
    issue.code === 'unrecognized_keys' ? `${tier} takes enabled and ttl${tier === 'l3' ? ' and lookupTimeout' : ''} only: its size and eviction are ${owner}'s` : undefined,
});

/**
 * The edge response cache (see src/cache/policy.ts for the defaults). Strict, unlike the
 * reference fields around it: a misspelt cache setting must fail the build, not be ignored.
 */
export const EdgeCacheSpecSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Also cache requests without temperature 0 or a seed (off: they would replay one sample forever). */
  cacheNonDeterministic: z.boolean().optional(),
  maxEntryBytes: bytes.optional(),
  l1: z.strictObject({ enabled: z.boolean().optional(), maxBytes: bytes.optional(), eviction: z.enum(EVICTION_POLICIES).optional(), ttl: duration.optional() }).optional(),
  l2: z.strictObject({ enabled: z.boolean().optional(), ttl: duration.optional() }, platformSized('l2', 'the colo cache (Cloudflare)')).optional(),
  l3: z
    .strictObject(
      { enabled: z.boolean().optional(), ttl: duration.optional(), lookupTimeout: duration.optional() },
      platformSized('l3', 'the Redis database (maxmemory-policy; Upstash: eviction setting)'),
    )
    .optional(),
});
export type EdgeCacheSpec = z.infer<typeof EdgeCacheSpecSchema>;

export const CachePolicySpecSchema = z.looseObject({
  /** Backend KV tiers (gpu / memory / disk), as a list or keyed by tier name. */
  tiers: z.union([z.array(cacheTier), z.record(z.string(), cacheTier)]).optional(),
  prefixSharing: z
    .looseObject({ enabled: z.boolean().optional(), minLength: z.number().int().min(0).optional(), blockSize: z.number().int().positive().optional() })
    .optional(),
  /** Edge response-cache tiers (L1 isolate memory, L2 colo Cache API, L3 Redis). */
  edge: EdgeCacheSpecSchema.optional(),
});

// ---------------------------------------------------------------- Documents

const doc = <K extends string, S extends z.ZodType>(kind: K, apiVersion: z.ZodType<string>, spec: S) =>
  z.strictObject({ apiVersion, kind: z.literal(kind), metadata: MetadataSchema, spec });

const switchyardApi = z.literal(SWITCHYARD_API);

export const DOCUMENT_SCHEMAS = {
  Region: doc('Region', switchyardApi, RegionSpecSchema),
  Tier: doc('Tier', switchyardApi, TierSpecSchema),
  RoutingPolicy: doc('RoutingPolicy', switchyardApi, RoutingPolicySpecSchema),
  InferenceService: doc('InferenceService', z.string().regex(/^serving\.kserve\.io\/v1(beta1|alpha1)?$/, 'must be serving.kserve.io/v1beta1'), InferenceServiceSpecSchema).extend({
    status: z.unknown().optional(),
  }),
  LLMDeployment: doc('LLMDeployment', z.string().min(1), LLMDeploymentSpecSchema),
  CachePolicy: doc('CachePolicy', z.string().min(1), CachePolicySpecSchema),
} as const;

export type DocumentKind = keyof typeof DOCUMENT_SCHEMAS;
export type FleetDocument = { [K in DocumentKind]: z.infer<(typeof DOCUMENT_SCHEMAS)[K]> }[DocumentKind];
export type RegionDoc = z.infer<typeof DOCUMENT_SCHEMAS.Region>;
export type TierDoc = z.infer<typeof DOCUMENT_SCHEMAS.Tier>;
export type RoutingPolicyDoc = z.infer<typeof DOCUMENT_SCHEMAS.RoutingPolicy>;
export type InferenceServiceDoc = z.infer<typeof DOCUMENT_SCHEMAS.InferenceService>;
export type LLMDeploymentDoc = z.infer<typeof DOCUMENT_SCHEMAS.LLMDeployment>;
export type CachePolicyDoc = z.infer<typeof DOCUMENT_SCHEMAS.CachePolicy>;
export type RoutingPolicySpec = z.infer<typeof RoutingPolicySpecSchema>;
export type Timeouts = z.infer<typeof TimeoutsSchema>;

export const isDocumentKind = (kind: unknown): kind is DocumentKind =>
  typeof kind === 'string' && Object.hasOwn(DOCUMENT_SCHEMAS, kind);
