import { CAPABILITIES, capabilitiesFrom, type Capability } from '../api/openai-endpoints.ts';
import { DEFAULT_EDGE_CACHE, edgeCachePolicy } from '../cache/policy.ts';
import { PATH_PREFIX, type CompiledEndpoint, type CompiledFleet, type CompiledModel, type CompiledPrefixSharing, type CompiledRegion, type CompiledSageMaker, type CompiledTier } from './compiled.ts';
import { DEFAULT_TIER_RULES, referencePlacements, type TierRules } from '../classify/tier-rules.ts';
import { isScorerType, SCORERS } from '../route/registry.ts';
import { settlePrefixSharing } from '../route/prefix/settings.ts';
import { FleetError, lineOfField, type Fleet, type FleetProblem } from './load.ts';
import { gpusPerReplica } from './gpus.ts';
import { sageMakerRuntimeUrl } from '../backends/sagemaker/runtime-url.ts';
import {
  LABEL,
  LOAD_BALANCERS,
  RoutingPolicySpecSchema,
  TRAFFIC_SHAPES,
  type FleetDocument,
  type InferenceServiceDoc,
  type LLMDeploymentDoc,
  type LoadBalancer,
  type PathStyle,
  type Placement,
  type RegionDoc,
} from './schema.ts';

type ModelResource = InferenceServiceDoc | LLMDeploymentDoc;

const splitList = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const argValue = (args: readonly string[] | undefined, ...flags: string[]) => {
  if (!args) return undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    for (const flag of flags) {
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
      if (arg === flag) return args[i + 1];
    }
  }
  return undefined;
};

/** The id vLLM serves the model under, which is also what clients send as `model`. */
export function servedModelId(resource: ModelResource): string {
  const annotated = resource.metadata.annotations?.[LABEL.model];
  if (annotated) return annotated;
  if (resource.kind === 'InferenceService') {
    const args = resource.spec.predictor.model?.args;
    const fromArgs = argValue(args, '--model_name', '--served-model-name');
    if (fromArgs) return fromArgs;
  }
  return resource.metadata.name;
}

/**
 * KServe's Hugging Face runtime (modelFormat `huggingface`) serves OpenAI routes under
 * /openai/v1; the kserve-vllmserver runtime (modelFormat `vLLM`), plain vLLM and llm-d's
 * gateway serve /v1.
 */
export function pathStyleOf(resource: ModelResource): PathStyle | undefined {
  if (resource.kind === 'LLMDeployment') return 'v1';
  const format = resource.spec.predictor.model?.modelFormat.name.toLowerCase();
  if (format === 'huggingface') return 'openai-v1';
  if (format === 'vllm') return 'v1';
  return undefined;
}

/** What a model serves when the fleet does not say: from vLLM's task flags and what its names say it is. */
function defaultCapabilities(resource: ModelResource, id: string): readonly Capability[] {
  if (resource.kind === 'LLMDeployment') {
    const m = resource.spec.model;
    return capabilitiesFrom([], id, typeof m === 'string' ? m : (m.uri ?? m.modelUri ?? m.name));
  }
  const model = resource.spec.predictor.model;
  return capabilitiesFrom(model?.args ?? [], id, model?.storageUri, resource.metadata.name);
}

/** KServe's default domain template: {name}.{namespace}.{ingress domain}. */
export function derivedServiceUrl(scheme: string, name: string, namespace: string, domain: string): string {
  return `${scheme}://${name}.${namespace}.${domain}`;
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');

type SageMakerEntry = Extract<RegionDoc['spec']['endpoints'][number], { backend: 'sagemaker' }>;

function sageMakerEndpoint(e: SageMakerEntry, id: string, model: string, region: string): CompiledEndpoint {
  const sagemaker: CompiledSageMaker = {
    endpointName: e.endpointName,
    awsRegion: e.awsRegion,
    ...(e.inferenceComponent ? { inferenceComponent: e.inferenceComponent } : {}),
    ...(e.targetVariant ? { targetVariant: e.targetVariant } : {}),
    outputStyle: e.outputStyle,
    credentials: {
      accessKeyIdSecret: e.credentials.accessKeyIdSecret,
      secretAccessKeySecret: e.credentials.secretAccessKeySecret,
      ...(e.credentials.sessionTokenSecret ? { sessionTokenSecret: e.credentials.sessionTokenSecret } : {}),
    },
    ...(e.endpointUrl ? { endpointUrl: trimSlash(e.endpointUrl) } : {}),
  };
  const runtime = sagemaker.endpointUrl ?? sageMakerRuntimeUrl(e.awsRegion);
  // pathStyle means nothing to SageMaker; 'v1' keeps the field's type unchanged for vLLM code.
  return { id, model, region, baseUrl: `${runtime}/endpoints/${e.endpointName}`, pathStyle: 'v1', weight: e.weight, backend: 'sagemaker', sagemaker };
}

/**
 * Tier rules as written must name the fleet's tiers. Left out, they follow the fleet: its
 * tiers in rank order with the calibrated thresholds, which exist for three tiers (one tier
 * needs none); any other number of tiers needs thresholds written down (no invented cut-offs).
 */
function settleTierRules(written: TierRules | undefined, tiers: readonly CompiledTier[], problem: (field: string, message: string) => void): TierRules {
  const settled = settleTierNames(written, tiers, problem);
  if (settled.reference.placements) return settled;
  // The reference strategy's edge / regional / central tiers: as the Tier documents place them.
  const placed = (p: Placement) => tiers.find((t) => t.placement === p)?.name;
  const byRank = referencePlacements(settled);
  const placements = { edge: placed('edge') ?? byRank.edge, regional: placed('regional') ?? byRank.regional, central: placed('central') ?? byRank.central };
  return { ...settled, reference: { ...settled.reference, placements } };
}

function settleTierNames(written: TierRules | undefined, tiers: readonly CompiledTier[], problem: (field: string, message: string) => void): TierRules {
  const names = tiers.map((t) => t.name);
  if (written) {
    if (names.length > 0) {
      written.tiers.forEach((tier, i) => {
        if (!names.includes(tier)) problem(`spec.tierRules.tiers.${i}`, `unknown tier "${tier}"; defined tiers: ${names.join(', ')}`);
      });
    }
    return written;
  }
  if (names.length === 1) return { ...DEFAULT_TIER_RULES, tiers: names, scoreThresholds: [], latencyBudgets: [], qualityFloors: [] };
  if (names.length === 0 || names.length === DEFAULT_TIER_RULES.tiers.length) {
    const rename = (tier: string) => names[DEFAULT_TIER_RULES.tiers.indexOf(tier)] ?? tier;
    return names.length === 0
      ? DEFAULT_TIER_RULES
      : {
          ...DEFAULT_TIER_RULES,
          tiers: names,
          latencyBudgets: DEFAULT_TIER_RULES.latencyBudgets.map((b) => ({ ...b, maxTier: rename(b.maxTier) })),
          qualityFloors: DEFAULT_TIER_RULES.qualityFloors.map((f) => ({ ...f, minTier: rename(f.minTier) })),
        };
  }
  problem(
    'spec.tierRules',
    `the fleet defines ${names.length} tiers (${names.join(', ')}); the calibrated defaults cover 3, so write tierRules with ${names.length - 1} scoreThresholds`,
  );
  return DEFAULT_TIER_RULES;
}

/** Cross-checks the parsed documents and builds the edge's routing view. Throws FleetError. */
export function compileFleet(fleet: Fleet): CompiledFleet {
  const problems: FleetProblem[] = [];
  const problem = (document: FleetDocument, at: string | readonly string[], message: string) => {
    const origin = fleet.origin.get(document);
    const field = typeof at === 'string' ? at : at.join('.');
    problems.push({
      document: origin?.document ?? 0,
      kind: document.kind,
      name: document.metadata.name,
      field,
      line: lineOfField(fleet, document, at),
      message,
    });
  };

  const unique = <D extends FleetDocument>(docs: readonly D[], what: string) => {
    const seen = new Set<string>();
    for (const d of docs) {
      if (seen.has(d.metadata.name)) problem(d, 'metadata.name', `duplicate ${what} "${d.metadata.name}"`);
      seen.add(d.metadata.name);
    }
  };
  unique(fleet.regions, 'Region');
  unique(fleet.tiers, 'Tier');

  if (fleet.regions.length === 0) {
    problems.push({ document: 0, field: '', message: 'the fleet defines no Region; at least one is required' });
  }
  if (fleet.routingPolicies.length > 1) {
    for (const extra of fleet.routingPolicies.slice(1)) problem(extra, '', 'only one RoutingPolicy may be defined');
  }
  const routing = fleet.routingPolicies[0]?.spec ?? RoutingPolicySpecSchema.parse({});

  const regions: CompiledRegion[] = fleet.regions.map((r) => ({
    id: r.metadata.name,
    residency: r.spec.residency,
    location: r.spec.location,
    pricing: r.spec.pricing,
    ...(r.spec.credentials ? { credentialsSecret: r.spec.credentials.secretName } : {}),
    ...(r.spec.kubeContext ? { kubeContext: r.spec.kubeContext } : {}),
    ...(r.spec.placement ? { placement: [...new Set(r.spec.placement)] } : {}),
  }));
  const regionDocs = new Map(fleet.regions.map((r) => [r.metadata.name, r]));

  const ranks = new Map<number, string>();
  const tiers: CompiledTier[] = [];
  for (const t of fleet.tiers) {
    const clash = ranks.get(t.spec.rank);
    if (clash) problem(t, 'spec.rank', `rank ${t.spec.rank} is already used by tier "${clash}"`);
    ranks.set(t.spec.rank, t.metadata.name);
    tiers.push({
      name: t.metadata.name,
      rank: t.spec.rank,
      ...(t.spec.defaultModel ? { defaultModel: t.spec.defaultModel } : {}),
      ...(t.spec.placement ? { placement: t.spec.placement } : {}),
    });
  }
  tiers.sort((a, b) => a.rank - b.rank);
  const tierNames = new Set(tiers.map((t) => t.name));

  const models: CompiledModel[] = [];
  const endpoints: CompiledEndpoint[] = [];
  const modelIds = new Map<string, ModelResource>();
  const resources: ModelResource[] = [...fleet.inferenceServices, ...fleet.llmDeployments];

  for (const resource of resources) {
    const id = servedModelId(resource);
    const labels = resource.metadata.labels ?? {};
    const annotations = resource.metadata.annotations ?? {};
    const aliases = splitList(annotations[LABEL.aliases]);
    for (const name of [id, ...aliases]) {
      const other = modelIds.get(name);
      if (other) problem(resource, 'metadata.name', `model id "${name}" is already served by ${other.kind} "${other.metadata.name}"`);
      modelIds.set(name, resource);
    }

    // A model joins a tier by its label, or by being the tier's defaultModel (so the reference's
    // examples can join tiers without editing them).
    const tier =
      labels[LABEL.tier] ?? annotations[LABEL.tier] ?? fleet.tiers.find((t) => t.spec.defaultModel !== undefined && [id, ...aliases].includes(t.spec.defaultModel))?.metadata.name;
    if (tier !== undefined && !tierNames.has(tier)) {
      problem(resource, ['metadata', 'labels', LABEL.tier], `unknown tier "${tier}"; defined tiers: ${[...tierNames].join(', ') || '(none)'}`);
    }

    let capabilities: Capability[] = [...defaultCapabilities(resource, id)];
    const declared = annotations[LABEL.capabilities] ?? labels[LABEL.capabilities];
    if (declared !== undefined) {
      const listed = splitList(declared);
      const unknown = listed.filter((c) => !(CAPABILITIES as readonly string[]).includes(c));
      if (unknown.length > 0 || listed.length === 0) {
        problem(resource, ['metadata', 'annotations', LABEL.capabilities], `unknown capability ${unknown.map((u) => `"${u}"`).join(', ') || '(empty list)'}; expected some of ${CAPABILITIES.join(', ')}`);
      } else capabilities = listed as Capability[];
    }

    const traffic = annotations[LABEL.traffic] ?? labels[LABEL.traffic];
    if (traffic !== undefined && !(TRAFFIC_SHAPES as readonly string[]).includes(traffic)) {
      problem(resource, ['metadata', 'annotations', LABEL.traffic], `unknown traffic "${traffic}"; expected one of ${TRAFFIC_SHAPES.join(', ')} (the decision matrix's shapes)`);
    }

    const lbAnnotation = annotations[LABEL.loadBalancing];
    let loadBalancing: LoadBalancer = routing.loadBalancing;
    if (lbAnnotation !== undefined) {
      if ((LOAD_BALANCERS as readonly string[]).includes(lbAnnotation)) loadBalancing = lbAnnotation as LoadBalancer;
      else problem(resource, ['metadata', 'annotations', LABEL.loadBalancing], `unknown load balancer "${lbAnnotation}"; expected one of ${LOAD_BALANCERS.join(', ')}`);
    }

    const pathStyle = pathStyleOf(resource);
    if (!pathStyle) {
      problem(resource, 'spec.predictor.model.modelFormat.name', 'Switchyard routes to vLLM: modelFormat must be "huggingface" (vLLM backend) or "vLLM"');
    }

    const listed = [...splitList(annotations[LABEL.regions]), ...splitList(labels[LABEL.region])];
    const servedIn = listed.length > 0 ? listed : [...regionDocs.keys()];
    const namespaceOf = (regionNamespace: string) => resource.metadata.namespace ?? regionNamespace;

    for (const regionId of servedIn) {
      const region = regionDocs.get(regionId);
      if (!region) {
        problem(resource, ['metadata', 'annotations', LABEL.regions], `unknown region "${regionId}"; defined regions: ${[...regionDocs.keys()].join(', ')}`);
        continue;
      }
      const explicit = region.spec.endpoints.filter((e) => e.model === id);
      if (explicit.length > 0) {
        explicit.forEach((e, n) =>
          endpoints.push(
            e.backend === 'sagemaker'
              ? sageMakerEndpoint(e, `${regionId}/${id}/${e.name ?? n}`, id, regionId)
              : {
                  id: `${regionId}/${id}/${e.name ?? n}`,
                  model: id,
                  region: regionId,
                  baseUrl: trimSlash(e.url) + PATH_PREFIX[e.pathStyle],
                  pathStyle: e.pathStyle,
                  weight: e.weight,
                  backend: 'vllm',
                },
          ),
        );
      } else if (region.spec.ingress && pathStyle) {
        const base = derivedServiceUrl(region.spec.ingress.scheme, resource.metadata.name, namespaceOf(region.spec.namespace), region.spec.ingress.domain);
        endpoints.push({ id: `${regionId}/${id}/0`, model: id, region: regionId, baseUrl: base + PATH_PREFIX[pathStyle], pathStyle, weight: 1, backend: 'vllm' });
      } else if (pathStyle) {
        problem(region, 'spec', `region serves model "${id}" but has neither spec.ingress.domain nor an entry for it in spec.endpoints`);
      }
    }

    const placement = tiers.find((t) => t.name === tier)?.placement;
    const gpus = gpusPerReplica(resource);
    models.push({
      id,
      aliases,
      capabilities,
      ...(tier !== undefined ? { tier } : {}),
      ...(placement ? { placement } : {}),
      loadBalancing,
      ...(gpus !== undefined ? { gpusPerReplica: gpus } : {}),
      source: { kind: resource.kind, name: resource.metadata.name, namespace: resource.metadata.namespace ?? 'llm' },
    });
  }

  for (const region of fleet.regions) {
    region.spec.endpoints.forEach((e, n) => {
      const owner = modelIds.get(e.model);
      if (!owner) problem(region, `spec.endpoints.${n}.model`, `no InferenceService or LLMDeployment serves model "${e.model}"`);
      else if (!endpoints.some((ep) => ep.region === region.metadata.name && ep.model === servedModelId(owner))) {
        problem(region, `spec.endpoints.${n}.model`, `model "${e.model}" is not assigned to region "${region.metadata.name}" (see its ${LABEL.regions} annotation)`);
      }
    });
  }

  // A placed tier's models must be served where that placement is hosted, or nothing could route them.
  for (const m of models) {
    if (!m.placement) continue;
    const hosting = regions.filter((r) => !r.placement || r.placement.includes(m.placement as Placement)).map((r) => r.id);
    if (!endpoints.some((e) => e.model === m.id && hosting.includes(e.region))) {
      const resource = modelIds.get(m.id);
      if (resource) problem(resource, 'metadata', `model "${m.id}" is in tier "${m.tier}" (placement ${m.placement}) but none of its regions hosts ${m.placement}; regions hosting it: ${hosting.join(', ') || '(none)'}`);
    }
  }

  for (const t of fleet.tiers) {
    const dm = t.spec.defaultModel;
    if (dm === undefined) continue;
    const m = models.find((x) => x.id === dm);
    if (!m) problem(t, 'spec.defaultModel', `unknown model "${dm}"`);
    else if (m.tier !== t.metadata.name) problem(t, 'spec.defaultModel', `model "${dm}" is not labelled ${LABEL.tier}: ${t.metadata.name}`);
  }

  const policy = fleet.routingPolicies[0];
  const tierRules = settleTierRules(routing.tierRules, tiers, (field, message) => {
    if (policy) problem(policy, field, message);
    else problems.push({ document: 0, field: `RoutingPolicy.${field}`, message: `${message} (add a RoutingPolicy document)` });
  });
  for (const key of Object.keys(routing.weights)) {
    if (policy && !isScorerType(key)) {
      problem(policy, `spec.weights.${key}`, `unknown scorer "${key}"; known scorers: ${Object.keys(SCORERS).join(', ')}`);
    }
  }

  // The edge cache is one per gateway (one isolate memory, one colo cache, one Redis), so one
  // CachePolicy at most may describe it; the others describe backend tiers only.
  const edgePolicies = fleet.cachePolicies.filter((p) => p.spec.edge !== undefined);
  for (const extra of edgePolicies.slice(1)) {
    problem(extra, 'spec.edge', `only one CachePolicy may have an edge section; "${edgePolicies[0]?.metadata.name}" already does`);
  }
  const edge = edgePolicies[0];
  const cache = edge ? edgeCachePolicy(edge.spec.edge, edge.metadata.name) : DEFAULT_EDGE_CACHE;

  // Prefix-affinity routing hashes by each model's CachePolicy (the one it names, else the
  // fleet's only one, as infra renders it): block size and minimum prefix length.
  const prefixSharing: Record<string, CompiledPrefixSharing> = {};
  for (const resource of resources) {
    const named = resource.metadata.labels?.[LABEL.cachePolicy] ?? resource.metadata.annotations?.[LABEL.cachePolicy];
    const cachePolicy = named === undefined ? (fleet.cachePolicies.length === 1 ? fleet.cachePolicies[0] : undefined) : fleet.cachePolicies.find((c) => c.metadata.name === named);
    if (cachePolicy?.spec.prefixSharing) prefixSharing[servedModelId(resource)] = settlePrefixSharing(cachePolicy.spec.prefixSharing);
  }

  if (problems.length > 0) throw new FleetError(fleet.source, problems);
  const sharing = Object.keys(prefixSharing).length > 0 ? { prefixSharing } : {};
  return { version: 1, source: fleet.source, regions, tiers, models, endpoints, routing: { ...routing, tierRules }, cache, ...sharing };
}
