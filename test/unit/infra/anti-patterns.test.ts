// The reference's "Anti-Patterns to Avoid", found in a fleet: each one alone, and none in a
// fleet that avoids them or says it is not production.
import { describe, expect, it } from 'vitest';
import { antiPatterns } from '../../../infra/k8s/plan/anti-patterns.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { REGION } from './fixtures.ts';

const POLICY = (environment: string) => `apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: { name: p }\nspec: { environment: ${environment} }\n`;
const CACHE = 'apiVersion: llm-d.ai/v1alpha1\nkind: CachePolicy\nmetadata: { name: c }\nspec: { prefixSharing: { enabled: true } }\n';
const MODEL = (o: { regions: string; min: number; max: number; traffic?: string }) => `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: m
  annotations: { switchyard.dev/regions: "${o.regions}"${o.traffic ? `, switchyard.dev/traffic: ${o.traffic}` : ''} }
spec:
  predictor:
    minReplicas: ${o.min}
    maxReplicas: ${o.max}
    model: { modelFormat: { name: vLLM } }
`;
const found = (...docs: string[]) => antiPatterns(parseFleet(docs.join('---\n'), 'a.yaml')).map((a) => a.id);

describe('anti-pattern checks', () => {
  it.each<[string, string[], string[]]>([
    ['a single instance in one region of a production fleet', [MODEL({ regions: 'a', min: 1, max: 1 }), CACHE], ['single-point-of-failure']],
    ['fixed replicas for variable traffic', [MODEL({ regions: 'a,b', min: 3, max: 3, traffic: 'variable' }), CACHE], ['fixed-scaling']],
    ['fixed replicas for high traffic', [MODEL({ regions: 'a,b', min: 3, max: 3, traffic: 'high' }), CACHE], ['fixed-scaling']],
    ['no cache policy', [MODEL({ regions: 'a,b', min: 2, max: 4 })], ['no-cache']],
    ['a replicated model in one region only', [MODEL({ regions: 'a', min: 2, max: 4 }), CACHE], ['single-region']],
    ['none: replicated, two regions, scaling, cached', [MODEL({ regions: 'a,b', min: 2, max: 8, traffic: 'variable' }), CACHE], []],
    ['none that need production, in a development fleet', [MODEL({ regions: 'a', min: 1, max: 1 }), CACHE, POLICY('development')], []],
    ['fixed replicas for steady traffic is fine', [MODEL({ regions: 'a,b', min: 3, max: 3, traffic: 'steady' }), CACHE], []],
  ])('finds %s', (_what, docs, ids) => {
    expect(found(REGION('a'), REGION('b'), ...docs)).toEqual(ids);
  });

  it('says which anti-pattern of the document it is and what to do', () => {
    const [spof] = antiPatterns(parseFleet([REGION('a'), MODEL({ regions: 'a', min: 1, max: 1 }), CACHE].join('---\n'), 'a.yaml'));
    expect(spof?.message).toMatch(/^m: one instance in one region \(a\) in a production fleet: .*"Single Point of Failure".*raise minReplicas or serve it in a second region/);
  });

  it('refuses a traffic annotation the matrix does not know, naming the shapes it does', () => {
    const fleet = parseFleet([REGION('a'), MODEL({ regions: 'a', min: 1, max: 1, traffic: 'bursty' })].join('---\n'), 'a.yaml');
    expect(() => compileFleet(fleet)).toThrow(/unknown traffic "bursty"; expected one of sporadic, steady, variable, high/);
  });
});
