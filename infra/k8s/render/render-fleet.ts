import type { Fleet } from '../../../src/fleet/load.ts';
import type { RegionDoc } from '../../../src/fleet/schema.ts';
import { fleetModels, namespaceOf, regionsOf, type FleetModel } from '../fleet-model.ts';
import { cachePolicyOf, cacheTiersFor } from './cache-tiers.ts';
import { renderInferenceService, VLLM_RUNTIME } from './inference-service.ts';
import { renderLLMInferenceService } from './llm-inference-service.ts';
import { regionLabels, type Manifest, type RegionRender, type RenderedFile } from './manifest.ts';
import { DEFAULT_RENDER_OPTIONS, type RenderOptions } from './render-options.ts';
import { createSecretCommand, upstreamSecret } from './upstream-secret.ts';
import { renderVllmServingRuntime } from './vllm-serving-runtime.ts';

const fileFor = (m: Manifest, source: string, why: string): RenderedFile => ({
  file: `${m.kind.toLowerCase()}-${m.metadata.name}.yaml`,
  comment: `${why}\nRendered by \`switchyard infra render\` from ${source}: edit the fleet file, not this file.`,
  manifests: [m],
});

/** Every manifest one region needs: namespaces, runtimes, and one resource per model served there. Pure. */
export function renderRegion(fleet: Fleet, region: RegionDoc, options: RenderOptions = DEFAULT_RENDER_OPTIONS): RegionRender {
  const regionId = region.metadata.name;
  const secret = upstreamSecret(region);
  const models = fleetModels(fleet).filter((m) => regionsOf(m.resource, fleet).includes(region));
  const warnings: string[] = [];
  const files: RenderedFile[] = [];
  const namespaces = new Set<string>();
  const runtimes = new Set<string>();
  // A policy's notes are the same for every model that uses it: said once per region.
  const cacheNotes = new Set<string>();

  for (const m of models) {
    const namespace = namespaceOf(m.resource, region);
    namespaces.add(namespace);
    const policy = cachePolicyOf(m.resource, fleet);
    const cache = policy ? cacheTiersFor(policy) : undefined;
    if (cache) for (const n of cache.notes) cacheNotes.add(`${regionId}: CachePolicy ${cache.policy}: ${n}`);
    if (m.resource.kind === 'InferenceService') {
      const r = renderInferenceService(m, region, namespace, secret, cache, options);
      warnings.push(...r.warnings);
      const pattern = m.configured.pattern;
      files.push(fileFor(r.manifest, fleet.source, `${m.id}: KServe InferenceService on the ${r.format === 'huggingface' ? 'Hugging Face (vLLM backend)' : 'kserve-vllmserver'} runtime, pattern ${pattern}${m.configured.combinedWith.length ? ` + ${m.configured.combinedWith.join(' + ')}` : ''}.`));
      if (r.format === 'vllm' && r.runtime === VLLM_RUNTIME && !runtimes.has(`${namespace}/${r.runtime}`)) {
        runtimes.add(`${namespace}/${r.runtime}`);
        const runtime = renderVllmServingRuntime(namespace, regionId, options);
        files.push(fileFor(runtime, fleet.source, `The kserve-vllmserver runtime (plain vLLM, OpenAI routes under /v1 on port 8080) for modelFormat vLLM in ${namespace}.`));
      } else if (r.format === 'vllm' && r.runtime !== VLLM_RUNTIME) {
        warnings.push(`InferenceService "${m.name}" in ${regionId}: runtime ${r.runtime ?? '(auto)'} is not rendered by infra: it must exist in the cluster and serve OpenAI routes under /v1`);
      }
    } else {
      const r = renderLLMInferenceService(m, region, namespace, secret, cache, options);
      warnings.push(...r.warnings);
      files.push(fileFor(r.manifest, fleet.source, `${m.id}: llm-d on KServe (LLMInferenceService): ${m.prefillReplicas !== undefined ? `disaggregated prefill/decode (pattern 4${m.configured.combinedWith.length ? ` + ${m.configured.combinedWith.join(' + ')}` : ''})` : 'one pool behind the llm-d scheduler'}, scheduler and InferencePool.`));
      for (const companion of r.companions) files.push(fileFor(companion, fleet.source, `${m.id}: the KV cache volume its prefill and decode pods share (spec.cache).`));
    }
  }

  warnings.unshift(...cacheNotes);
  // A region without models still gets its namespace, so the Secret can be created ahead of them.
  if (namespaces.size === 0) namespaces.add(region.spec.namespace);
  const namespaceFile: RenderedFile = {
    file: 'namespace.yaml',
    comment: `Namespaces of region ${regionId}.\nRendered by \`switchyard infra render\` from ${fleet.source}: edit the fleet file, not this file.`,
    manifests: [...namespaces].sort().map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: regionLabels(regionId) } })),
  };

  const steps: string[] = [];
  if (secret) {
    for (const ns of [...namespaces].sort()) {
      steps.push(`Create the upstream key Secret (same value as the edge's ${secret.edgeSecret}; never in a file): ${createSecretCommand(secret, ns, region.spec.kubeContext)}`);
    }
  }
  if (files.some((f) => f.manifests.some((m) => m.kind === 'InferenceService')) && region.spec.ingress) {
    steps.push(
      `KServe must name InferenceService hosts as the edge derives them: in ConfigMap kserve/inferenceservice-config, ingress.ingressDomain "${region.spec.ingress.domain}", ingress.domainTemplate "{{ .Name }}.{{ .Namespace }}.{{ .IngressDomain }}", ingress.urlScheme "${region.spec.ingress.scheme}"`,
    );
  }
  if (region.spec.ingress && namespaces.size > 0) {
    steps.push(`DNS: *.<namespace>.${region.spec.ingress.domain} (${[...namespaces].map((n) => `*.${n}.${region.spec.ingress?.domain}`).join(', ')}) → the cluster's ingress gateway${region.spec.ingress.scheme === 'https' ? ', with a TLS certificate for those names' : ''}`);
  }
  if (models.length === 0) warnings.push(`region ${regionId} serves no model: only its namespace would be created`);

  return {
    region: regionId,
    ...(region.spec.kubeContext ? { kubeContext: region.spec.kubeContext } : {}),
    namespaces: [...namespaces].sort(),
    files: [namespaceFile, ...files],
    warnings,
    steps,
  };
}

export function renderFleet(fleet: Fleet, options: RenderOptions = DEFAULT_RENDER_OPTIONS): RegionRender[] {
  return fleet.regions.map((r) => renderRegion(fleet, r, options));
}
