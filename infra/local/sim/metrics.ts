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

/** A GPU's framebuffer in MiB (an 80 GB card). */
const FB_MIB = 81_559;
/** vLLM claims this share of each GPU's memory at start (--gpu-memory-utilization, default 0.9). */
const VLLM_MEMORY_SHARE = 0.9;

/**
 * DCGM exporter gauges for the server's GPUs: busy while any request runs (more so as the batch
 * fills), and the framebuffer vLLM took at start, which stays taken.
 */
export function renderGpuMetrics(running: number, maxNumSeqs: number, gpus: number): string {
  const util = running === 0 ? 0 : Math.round(Math.min(100, 60 + (40 * running) / Math.max(1, maxNumSeqs)));
  const used = Math.round(FB_MIB * VLLM_MEMORY_SHARE);
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (let gpu = 0; gpu < gpus; gpu++) lines.push(`${name}{gpu="${gpu}",UUID="GPU-sim-${gpu}",modelName="NVIDIA H100 80GB HBM3"} ${value}`);
  };
  gauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', util);
  gauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', used);
  gauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', FB_MIB - used);
  return `${lines.join('\n')}\n`;
}
