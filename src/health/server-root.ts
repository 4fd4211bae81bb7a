import type { CompiledEndpoint } from '../fleet/compiled.ts';
import type { PathStyle } from '../fleet/schema.ts';

// Mirrors PATH_PREFIX in src/fleet/compile.ts (a test keeps them equal): importing that
// module would pull the YAML loader into the Worker bundle.
const PREFIX: Record<PathStyle, string> = { v1: '/v1', 'openai-v1': '/openai/v1' };

/**
 * The server's root, where vLLM serves /health and /metrics: the endpoint's baseUrl minus
 * its OpenAI prefix (`/v1`, or `/openai/v1` under KServe's Hugging Face runtime).
 */
export function serverRoot(endpoint: Pick<CompiledEndpoint, 'baseUrl' | 'pathStyle'>): string {
  const base = endpoint.baseUrl.replace(/\/+$/, '');
  const prefix = PREFIX[endpoint.pathStyle];
  return base.endsWith(prefix) ? base.slice(0, -prefix.length) : base;
}
