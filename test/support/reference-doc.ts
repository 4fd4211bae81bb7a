// The reference document ("Architecture Patterns for LLM Inference") is third-party text kept
// in ../shared, not in the repo: the tests read its YAML examples from it, verbatim.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const REFERENCE_DOC = resolve(process.env['SWITCHYARD_REFERENCE_DOC'] ?? '../shared/reference/architecture-patterns-for-llm-inference.md');

/** The document's text; a missing file fails loudly (never a skipped test). */
export function referenceText(): string {
  if (!existsSync(REFERENCE_DOC)) {
    throw new Error(
      `the reference document is needed for this test and is not at ${REFERENCE_DOC}: set SWITCHYARD_REFERENCE_DOC to architecture-patterns-for-llm-inference.md (shared/reference beside the checkout)`,
    );
  }
  return readFileSync(REFERENCE_DOC, 'utf8');
}

/** Every ```yaml block of the document, in order, exactly as written. */
export function referenceYamlExamples(text = referenceText()): string[] {
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
}

/**
 * A fleet a new user would write around the examples: two regions (one central), the three
 * tiers of pattern 6 attached through their default models, a routing policy, then the
 * document's six examples pasted as they are.
 */
export const REFERENCE_FLEET_HEADER = `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA, country: US }
  residency: us
  kubeContext: ctx-us-east
  ingress: { domain: us-east.models.example.com }
  pricing: { gpuHourUsd: 2.5, inputPerMillionTokensUsd: 0.05, outputPerMillionTokensUsd: 0.15 }
  credentials: { secretName: UPSTREAM_KEY_US_EAST }
  placement: [edge, regional, central]
---
apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: eu-west }
spec:
  location: { latitude: 53.3, longitude: -6.3, continent: EU, country: IE }
  residency: eu
  kubeContext: ctx-eu-west
  ingress: { domain: eu-west.models.example.com }
  credentials: { secretName: UPSTREAM_KEY_EU_WEST }
  placement: [edge, regional]
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: small }
spec: { rank: 1, placement: edge, defaultModel: replicated-llm }
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: medium }
spec: { rank: 2, placement: regional, defaultModel: autoscaling-llm }
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: large }
spec: { rank: 3, placement: central, defaultModel: tensor-parallel-llm }
---
apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: { name: default }
spec:
  weights: { geo: 1 }
`;

export const referenceFleetText = (): string => [REFERENCE_FLEET_HEADER, ...referenceYamlExamples()].join('---\n');
