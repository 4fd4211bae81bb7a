import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileFleet } from '../../../../src/fleet/compile.ts';
import { parseFleet } from '../../../../src/fleet/load.ts';
import { requestPrefix } from '../../../../src/route/prefix/request-prefix.ts';

const compile = (text: string) => compileFleet(parseFleet(text, 'prefix.test.yaml'));

const BASE = `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 39, longitude: -77, continent: NA }
  residency: us
  pricing: { inputPerMillionTokensUsd: 0.1, outputPerMillionTokensUsd: 0.2 }
  ingress: { domain: us-east.example }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: small
  annotations: { switchyard.dev/model: small }
spec:
  predictor: { model: { modelFormat: { name: huggingface } } }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: big
  labels: { switchyard.dev/cache-policy: wide }
spec:
  predictor: { model: { modelFormat: { name: huggingface } } }
`;
const policy = (name: string, spec: string) => `---\napiVersion: llm-d.ai/v1alpha1\nkind: CachePolicy\nmetadata: { name: ${name} }\nspec:\n${spec}\n`;

describe("the compiled fleet's prefix sharing", () => {
  it("carries the real fleet's CachePolicy (minLength 100) to every model it covers", () => {
    const fleet = compileFleet(parseFleet(readFileSync('infra/fleet.yaml', 'utf8'), 'infra/fleet.yaml'));
    expect(fleet.prefixSharing).toEqual(Object.fromEntries(fleet.models.map((m) => [m.id, { enabled: true, blockSize: 16, minLength: 100 }])));
  });

  it('takes the policy a model names, else the only one; none leaves the field out', () => {
    expect(compile(BASE.replace('labels: { switchyard.dev/cache-policy: wide }', 'labels: {}')).prefixSharing).toBeUndefined();
    const named = compile(BASE + policy('wide', '  prefixSharing: { enabled: true, blockSize: 32, minLength: 500 }') + policy('other', '  prefixSharing: { enabled: false }'));
    expect(named.prefixSharing).toEqual({ big: { enabled: true, blockSize: 32, minLength: 500 } });
    const only = compile(BASE.replace('labels: { switchyard.dev/cache-policy: wide }', 'labels: {}') + policy('solo', '  prefixSharing: { minLength: 64 }'));
    expect(only.prefixSharing).toEqual({ small: { enabled: true, blockSize: 16, minLength: 64 }, big: { enabled: true, blockSize: 16, minLength: 64 } });
  });

  it('lets the data producer skip hashing unless prefix-affinity is weighted and prefix caching is on', () => {
    const body = { messages: [{ role: 'system', content: 'x'.repeat(4_000) }, { role: 'user', content: 'hi' }] };
    const sharing = { small: { enabled: true, blockSize: 16, minLength: 100 }, big: { enabled: false, blockSize: 16, minLength: 100 } };
    expect(requestPrefix({ routing: { weights: { geo: 1 } }, prefixSharing: sharing }, 'small', body)).toBeUndefined();
    expect(requestPrefix({ routing: { weights: { 'prefix-affinity': 0 } }, prefixSharing: sharing }, 'small', body)).toBeUndefined();
    expect(requestPrefix({ routing: { weights: { 'prefix-affinity': 1 } }, prefixSharing: sharing }, 'big', body)).toBeUndefined();
    expect(requestPrefix({ routing: { weights: { 'prefix-affinity': 1 } }, prefixSharing: sharing }, 'small', body)?.anchorBlocks).toBe(62);
    // A model the fleet says nothing about gets vLLM's defaults (16-token blocks, one block minimum).
    expect(requestPrefix({ routing: { weights: { 'prefix-affinity': 1 } } }, 'unknown', { prompt: 'y'.repeat(64) })?.anchorBlocks).toBe(1);
    expect(requestPrefix({ routing: { weights: { 'prefix-affinity': 1 } } }, 'unknown', { prompt: [1, 2, 3] })).toBeUndefined();
  });
});
