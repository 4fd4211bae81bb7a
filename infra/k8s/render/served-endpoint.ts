import { PATH_PREFIX } from '../../../src/fleet/compiled.ts';
import type { RegionDoc } from '../../../src/fleet/schema.ts';
import { asString, asStringArray, dig, isRecord } from '../loose.ts';
import { argValue } from '../vllm-args.ts';
import type { Manifest, ServedEndpoint } from './manifest.ts';
import { VLLM_OPENAI_PREFIX, VLLM_RUNTIME_PORT } from './vllm-serving-runtime.ts';

/**
 * Where a rendered manifest serves its model, read back from the manifest alone, the way the
 * cluster will: the check that the edge's derivation (compileFleet: derivedServiceUrl +
 * PATH_PREFIX[pathStyleOf]) and what infra deploys agree.
 *
 * - InferenceService: KServe's host `{name}.{namespace}.{ingress domain}` (its domainTemplate set
 *   as the region's NOTES say); the Hugging Face runtime answers OpenAI routes under /openai/v1,
 *   the kserve-vllmserver runtime (plain vLLM, rendered alongside) under /v1. The model is the
 *   runtime's served-name flag.
 * - LLMInferenceService: the host of its HTTPRoute; every path goes to vLLM unchanged (no
 *   rewrite), so OpenAI routes are under /v1. The model is spec.model.name (KServe passes it as
 *   --served-model-name).
 */
export function servedEndpoint(manifest: Manifest, region: RegionDoc, siblings: readonly Manifest[]): ServedEndpoint | undefined {
  const ingress = region.spec.ingress;
  const { name, namespace } = manifest.metadata;
  if (manifest.kind === 'InferenceService') {
    if (!ingress || !namespace) return undefined;
    const model = dig(manifest, 'spec', 'predictor', 'model');
    const format = asString(dig(model, 'modelFormat', 'name'))?.toLowerCase();
    const args = asStringArray(dig(model, 'args')) ?? [];
    const host = `${ingress.scheme}://${name}.${namespace}.${ingress.domain}`;
    if (format === 'huggingface') {
      // The HF server serves the InferenceService's name unless --model_name says otherwise.
      return { model: argValue(args, '--model_name') ?? name, baseUrl: `${host}${PATH_PREFIX['openai-v1']}` };
    }
    if (format === 'vllm') {
      const runtimeName = asString(dig(model, 'runtime'));
      const runtime = siblings.find((m) => m.kind === 'ServingRuntime' && m.metadata.name === runtimeName && m.metadata.namespace === namespace);
      const container = dig(runtime, 'spec', 'containers', '0');
      const servesOpenAi = isRecord(container) && (asStringArray(container['command']) ?? []).includes('vllm.entrypoints.openai.api_server') && (asStringArray(container['args']) ?? []).includes(`--port=${VLLM_RUNTIME_PORT}`);
      if (!servesOpenAi) return undefined;
      // Plain vLLM serves the model path (/mnt/models) unless --served-model-name says otherwise.
      return { model: argValue(args, '--served-model-name') ?? '/mnt/models', baseUrl: `${host}${VLLM_OPENAI_PREFIX}` };
    }
    return undefined;
  }
  if (manifest.kind === 'LLMInferenceService') {
    if (!ingress) return undefined;
    const route = dig(manifest, 'spec', 'router', 'route', 'http', 'spec');
    const host = asString(dig(route, 'hostnames', '0'));
    const rule = dig(route, 'rules', '0');
    const prefix = asString(dig(rule, 'matches', '0', 'path', 'value'));
    const rewrites = Array.isArray(dig(rule, 'filters')) && (dig(rule, 'filters') as unknown[]).length > 0;
    if (!host || prefix !== '/' || rewrites) return undefined;
    const model = asString(dig(manifest, 'spec', 'model', 'name'));
    return model ? { model, baseUrl: `${ingress.scheme}://${host}${VLLM_OPENAI_PREFIX}` } : undefined;
  }
  return undefined;
}
