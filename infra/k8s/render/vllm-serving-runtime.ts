import { regionLabels, type Manifest } from './manifest.ts';
import type { RenderOptions } from './render-options.ts';
import { VLLM_RUNTIME } from './inference-service.ts';

/**
 * The kserve-vllmserver runtime: plain vLLM's OpenAI server for modelFormat vLLM. Rendered
 * per namespace so the path the edge derives for it (/v1, port 8080) is guaranteed by a
 * manifest infra owns rather than by whatever runtime a cluster happens to have. KServe's
 * storage initializer puts storageUri at /mnt/models; the InferenceService's args (served
 * model name, parallelism, cache flags) are appended to these.
 */
export const VLLM_RUNTIME_PORT = 8080;
export const VLLM_OPENAI_PREFIX = '/v1';

export function renderVllmServingRuntime(namespace: string, region: string, options: RenderOptions, name = VLLM_RUNTIME): Manifest {
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: { name, namespace, labels: regionLabels(region) },
    spec: {
      // KServe matches formats by exact name, and the reference writes `vllm` where KServe's docs write `vLLM`.
      supportedModelFormats: [
        { name: 'vLLM', autoSelect: true, priority: 1 },
        { name: 'vllm', autoSelect: true, priority: 1 },
      ],
      containers: [
        {
          name: 'kserve-container',
          image: options.vllmImage,
          command: ['python3', '-m', 'vllm.entrypoints.openai.api_server'],
          args: ['--model=/mnt/models', `--port=${VLLM_RUNTIME_PORT}`],
          ports: [{ containerPort: VLLM_RUNTIME_PORT, protocol: 'TCP' }],
          // Weights take minutes to load: readiness waits on vLLM's own health route.
          readinessProbe: { httpGet: { path: '/health', port: VLLM_RUNTIME_PORT }, periodSeconds: 10, failureThreshold: 3 },
          startupProbe: { httpGet: { path: '/health', port: VLLM_RUNTIME_PORT }, periodSeconds: 10, failureThreshold: 90 },
        },
      ],
    },
  };
}
