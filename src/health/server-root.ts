import { PATH_PREFIX, type CompiledEndpoint } from '../fleet/compiled.ts';

/**
 * The server's root, where vLLM serves /health and /metrics: the endpoint's baseUrl minus
 * its OpenAI prefix (`/v1`, or `/openai/v1` under KServe's Hugging Face runtime).
 */
export function serverRoot(endpoint: Pick<CompiledEndpoint, 'baseUrl' | 'pathStyle'>): string {
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const prefix = PATH_PREFIX[endpoint.pathStyle];
  return base.endsWith(prefix) ? base.slice(0, -prefix.length) : base;
}
