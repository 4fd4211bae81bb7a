/**
 * Every metric the gateway exports. Names follow Prometheus (snake case, unit suffix, `_total`
 * for counters) and the OpenTelemetry GenAI semantic conventions where they define one
 * (`gen_ai.client.operation.duration` → `gen_ai_client_operation_duration_seconds`, with the
 * conventions' recommended bucket boundaries). Label names are the conventions' attribute names
 * with dots as underscores (`gen_ai_operation_name`, `gen_ai_request_model`, `gen_ai_token_type`).
 */
export type MetricType = 'counter' | 'histogram' | 'gauge';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** Histograms: upper bounds of the buckets (`+Inf` is implied). */
  readonly buckets?: readonly number[];
}

const def = (name: string, type: MetricType, help: string, buckets?: readonly number[]): MetricDef => (buckets ? { name, type, help, buckets } : { name, type, help });

// The GenAI conventions' advice for each histogram (semconv gen-ai-metrics).
const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5];
const TOKEN_BUCKETS = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

export const METRIC = {
  requests: def('switchyard_requests_total', 'counter', 'API requests answered, by HTTP status, operation, model, tier, region, tenant and cache result.'),
  duration: def('gen_ai_client_operation_duration_seconds', 'histogram', 'Time from receiving the request to the last byte of its answer (GenAI client operation duration).', DURATION_BUCKETS),
  ttft: def('gen_ai_server_time_to_first_token_seconds', 'histogram', 'Time from receiving a streamed request to relaying its first chunk.', TTFT_BUCKETS),
  tpot: def('gen_ai_server_time_per_output_token_seconds', 'histogram', 'Streamed requests: time after the first chunk divided by the output tokens after the first.', TPOT_BUCKETS),
  tokenUsage: def('gen_ai_client_token_usage', 'histogram', 'Tokens per request, input or output, as the upstream reported them.', TOKEN_BUCKETS),
  tokens: def('switchyard_tokens_total', 'counter', 'Tokens served, by type (input, output, cached input), model, region and tenant; rate() gives tokens per second.'),
  cost: def('switchyard_cost_usd_total', 'counter', "What requests cost at the region's pricing, by model, region, tenant and basis (tokens, gpu-time, cache, unpriced)."),
  gpuCost: def('switchyard_gpu_cost_usd_total', 'counter', "Requests' share of GPU-hours at the region's GPU-hour price, where it sets one."),
  cache: def('switchyard_cache_requests_total', 'counter', 'Cacheable requests by result: hit-l1 (isolate), hit-l2 (colo), hit-l3 (Redis), miss; bypass when not cacheable.'),
  errors: def('switchyard_errors_total', 'counter', 'Error answers by OpenAI error type and code, and the region when one was tried.'),
  attempts: def('switchyard_upstream_attempts_total', 'counter', 'Upstream attempts by endpoint and outcome (HTTP status, transport failure, or why it was skipped).'),
  failovers: def('switchyard_failovers_total', 'counter', 'Requests sent to more than one endpoint, by whether one of them answered (recovered) or none did (failed).'),
  streams: def('switchyard_streams_total', 'counter', 'Streamed answers by how they ended (completed, stream_truncated, stream_idle_timeout, ...).'),
  continuations: def(
    'switchyard_stream_continuations_total',
    'counter',
    'Streams whose upstream was cut, under mid-stream failover: continued (on another endpoint, to a complete answer), failed (no endpoint could continue it), ineligible (tool calls, echo, a grammar, prompt_logprobs, ...).',
  ),
  responseBytes: def('switchyard_response_bytes_total', 'counter', 'Answer bytes sent to clients, by region.'),
  // Read at scrape time from the prober's snapshot and this instance's routing state.
  endpointUp: def('switchyard_endpoint_up', 'gauge', 'Whether the last probe found the endpoint healthy (1) or not (0).'),
  endpointRunning: def('switchyard_endpoint_requests_running', 'gauge', "Requests the endpoint's vLLM is running (vllm:num_requests_running)."),
  endpointWaiting: def('switchyard_endpoint_requests_waiting', 'gauge', "Requests queued in the endpoint's vLLM (vllm:num_requests_waiting)."),
  endpointKv: def('switchyard_endpoint_kv_cache_usage_ratio', 'gauge', "KV-cache usage of the endpoint's vLLM, 0..1 (vllm:kv_cache_usage_perc)."),
  endpointGpu: def('switchyard_endpoint_gpu_utilization_ratio', 'gauge', 'GPU utilization the endpoint reports, 0..1 (DCGM_FI_DEV_GPU_UTIL, when its /metrics carries it).'),
  endpointGpuMemory: def('switchyard_endpoint_gpu_memory_usage_ratio', 'gauge', 'GPU framebuffer in use, 0..1 (DCGM_FI_DEV_FB_USED / (USED + FREE), when reported).'),
  endpointInflight: def('switchyard_endpoint_inflight_requests', 'gauge', 'Requests this gateway instance has in flight to the endpoint.'),
  breaker: def('switchyard_endpoint_circuit_breaker_state', 'gauge', "The endpoint's circuit breaker as this instance sees it: 1 for its current state."),
  snapshotAge: def('switchyard_health_snapshot_age_seconds', 'gauge', "Age of the prober's health snapshot the routing reads."),
} as const satisfies Record<string, MetricDef>;

