/** Cluster facts the fleet file does not carry; `infra render` flags set them. */
export interface RenderOptions {
  /** GPUs per node: beyond this a replica needs a multi-node workerSpec. */
  gpusPerNode: number;
  /** Image of the kserve-vllmserver ServingRuntime (plain vLLM, OpenAI routes under /v1). */
  vllmImage: string;
  /** The Gateway llm-d routes attach to: KServe's ingress gateway by default. */
  gateway: { name: string; namespace: string };
}

export const DEFAULT_RENDER_OPTIONS: RenderOptions = {
  gpusPerNode: 8,
  // Pin what you have qualified; `--vllm-image` overrides. 0.22 is the first with the tiered
  // OffloadingConnector (--kv-transfer-config) the CachePolicy's RAM and disk tiers render to.
  vllmImage: 'vllm/vllm-openai:v0.22.0',
  // KServe's defaults (constants.GatewayName / KServeNamespace).
  gateway: { name: 'kserve-ingress-gateway', namespace: 'kserve' },
};
