import type { RegionDoc } from '../../../src/fleet/schema.ts';
import type { JsonObject } from '../loose.ts';

/**
 * The region's upstream key: the edge sends it as `Authorization: Bearer …` (Worker secret
 * named by the Region's credentials.secretName) and vLLM checks it (VLLM_API_KEY). In the
 * cluster it lives in a Secret that infra only *references*: no value is ever rendered.
 */
export interface UpstreamSecret {
  /** Kubernetes Secret name, derived from the Worker secret's name (UPSTREAM_KEY_US_EAST → upstream-key-us-east). */
  name: string;
  key: string;
  /** The Worker secret / env var holding the same value on the edge. */
  edgeSecret: string;
}

export const UPSTREAM_SECRET_KEY = 'api-key';
/** vLLM's OpenAI server requires `Authorization: Bearer $VLLM_API_KEY` on /v1 routes when set. */
export const VLLM_API_KEY_ENV = 'VLLM_API_KEY';

export function upstreamSecret(region: RegionDoc): UpstreamSecret | undefined {
  const edgeSecret = region.spec.credentials?.secretName;
  if (!edgeSecret) return undefined;
  return { name: edgeSecret.toLowerCase().replace(/_/g, '-'), key: UPSTREAM_SECRET_KEY, edgeSecret };
}

/** The container env entry that reads the key from the Secret. */
export const apiKeyEnv = (secret: UpstreamSecret): JsonObject => ({
  name: VLLM_API_KEY_ENV,
  valueFrom: { secretKeyRef: { name: secret.name, key: secret.key } },
});

/** The one command that creates the Secret from the operator's shell, value never written to a file. */
export const createSecretCommand = (secret: UpstreamSecret, namespace: string, context?: string): string =>
  `kubectl${context ? ` --context ${context}` : ''} -n ${namespace} create secret generic ${secret.name} --from-literal=${secret.key}="$${secret.edgeSecret}"`;
