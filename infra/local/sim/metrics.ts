// GET /metrics: Prometheus text with vLLM's metric names and labels, so the gateway's prober
// parses the simulator exactly as it parses a real vLLM server.

export interface MetricsSnapshot {
  readonly modelName: string;
  readonly running: number;
  readonly waiting: number;
  readonly kvCacheUsage: number;
  readonly prefixCacheQueries: number;
  readonly prefixCacheHits: number;
  readonly blockSize: number;
  readonly numGpuBlocks: number;
  readonly success: Readonly<Record<'stop' | 'length' | 'abort', number>>;
  readonly promptTokens: number;
  readonly generationTokens: number;
}

/** Python's prometheus_client prints every value as a float: `3.0`, not `3`. */
function num(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

export function renderMetrics(s: MetricsSnapshot): string {
  const labels = `engine="0",model_name=${JSON.stringify(s.modelName)}`;
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: ReadonlyArray<[string, number]>): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [extra, value] of samples) lines.push(`${name}{${extra}${labels}} ${num(value)}`);
  };
  metric('vllm:num_requests_running', 'gauge', 'Number of requests in model execution batches.', [['', s.running]]);
  metric('vllm:num_requests_waiting', 'gauge', 'Number of requests waiting to be processed.', [['', s.waiting]]);
  metric('vllm:kv_cache_usage_perc', 'gauge', 'KV-cache usage. 1 means 100 percent usage.', [['', s.kvCacheUsage]]);
  metric('vllm:prefix_cache_queries_total', 'counter', 'Prefix cache queries, in terms of number of queried tokens.', [
    ['', s.prefixCacheQueries],
  ]);
  metric('vllm:prefix_cache_hits_total', 'counter', 'Prefix cache hits, in terms of number of cached tokens.', [
    ['', s.prefixCacheHits],
  ]);
  metric('vllm:cache_config_info', 'gauge', 'Information of the LLMEngine CacheConfig', [
    [`block_size="${s.blockSize}",num_gpu_blocks="${s.numGpuBlocks}",`, 1],
  ]);
  metric('vllm:request_success_total', 'counter', 'Count of successfully processed requests.', [
    ['finished_reason="stop",', s.success.stop],
    ['finished_reason="length",', s.success.length],
    ['finished_reason="abort",', s.success.abort],
  ]);
  metric('vllm:prompt_tokens_total', 'counter', 'Number of prefill tokens processed.', [['', s.promptTokens]]);
  metric('vllm:generation_tokens_total', 'counter', 'Number of generation tokens processed.', [['', s.generationTokens]]);
  return `${lines.join('\n')}\n`;
}
