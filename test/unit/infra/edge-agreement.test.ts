// The edge and infra agree: for every endpoint the gateway derives from the fleet file
// (compileFleet: derivedServiceUrl + PATH_PREFIX[pathStyleOf]), the manifest infra renders for
// that region serves the same model id at the same base URL, read back from the manifest alone.
import { describe, expect, it } from 'vitest';
import { compileFleet } from '../../../src/fleet/compile.ts';
import type { Fleet } from '../../../src/fleet/load.ts';
import { fleetModels } from '../../../infra/k8s/fleet-model.ts';
import { renderFleet } from '../../../infra/k8s/render/render-fleet.ts';
import { servedEndpoint } from '../../../infra/k8s/render/served-endpoint.ts';
import { FLEET_FILE, fleetOf, loadFleet, SHAPES_FLEET_FILE, REGION } from './fixtures.ts';

function agreement(fleet: Fleet) {
  const compiled = compileFleet(fleet);
  const renders = renderFleet(fleet);
  return compiled.endpoints.map((endpoint) => {
    const model = compiled.models.find((m) => m.id === endpoint.model);
    const render = renders.find((r) => r.region === endpoint.region);
    const region = fleet.regions.find((r) => r.metadata.name === endpoint.region);
    const manifests = render?.files.flatMap((f) => f.manifests) ?? [];
    const kind = model?.source.kind === 'LLMDeployment' ? 'LLMInferenceService' : model?.source.kind;
    const manifest = manifests.find((m) => m.kind === kind && m.metadata.name === model?.source.name);
    const served = manifest && region ? servedEndpoint(manifest, region, manifests) : undefined;
    return { endpoint: endpoint.id, edge: { model: endpoint.model, baseUrl: endpoint.baseUrl }, infra: served };
  });
}

describe('edge and infra agree on every endpoint', () => {
  for (const file of [FLEET_FILE, SHAPES_FLEET_FILE]) {
    describe(file, () => {
      const fleet = loadFleet(file);
      const rows = agreement(fleet);

      it('derives an endpoint for every model in every region it is served in', () => {
        const compiled = compileFleet(fleet);
        expect(new Set(rows.map((r) => r.edge.model))).toEqual(new Set(fleetModels(fleet).map((m) => m.id)));
        expect(rows.length).toBe(compiled.endpoints.length);
      });

      it.each(rows.map((r) => [r.endpoint, r] as const))('%s: same model id, same base URL', (_id, row) => {
        expect(row.infra).toEqual(row.edge);
      });
    });
  }

  it('infra/fleet.yaml: the three path styles the edge expects', () => {
    const byId = Object.fromEntries(agreement(loadFleet(FLEET_FILE)).map((r) => [r.endpoint, r.infra?.baseUrl]));
    expect(byId).toMatchObject({
      'us-east/llama-3.1-8b/0': 'https://llama-3-1-8b.llm.us-east.inference.switchyard.example/openai/v1', // HF runtime
      'us-east/qwen2.5-32b/0': 'https://qwen2-5-32b.llm.us-east.inference.switchyard.example/v1', // kserve-vllmserver
      'us-east/llama-3.1-70b/0': 'https://llama-3-1-70b.llm.us-east.inference.switchyard.example/v1', // llm-d route, no rewrite
    });
  });

  it('follows the namespace of the resource when it has its own, as the edge does', () => {
    const fleet = fleetOf(
      REGION('r1'),
      `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: tiny, namespace: team-a }
spec:
  predictor:
    model: { modelFormat: { name: vLLM }, args: ["--served-model-name=other"] }
`,
    );
    const [row] = agreement(fleet);
    expect(row?.infra).toEqual({ model: 'other', baseUrl: 'https://tiny.team-a.r1.example.com/v1' });
    expect(row?.infra).toEqual(row?.edge);
  });
});
