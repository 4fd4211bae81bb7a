/**
 * What routing knows about one endpoint right now. Data producers (the health prober, the
 * forwarder's passive feedback) write it; filters, scorers and balancers only read it.
 */
export interface HealthSample {
  /** /health answered 2xx. */
  healthy: boolean;
  /** vLLM metrics at the time of the probe (absent when /metrics did not answer). */
  waiting?: number;
  running?: number;
  /** vllm:kv_cache_usage_perc, 0..1. */
  kvCacheUsage?: number;
  /** GPU utilization, 0..1, when the server's /metrics carries NVIDIA DCGM's gauges (a dcgm-exporter sidecar, or a scrape merged in). */
  gpuUtilization?: number;
  /** GPU framebuffer in use, 0..1 (DCGM FB used / (used + free)). */
  gpuMemoryUsage?: number;
  /**
   * The model ids the server lists at its OpenAI `/models` route: what it really serves.
   * Absent when the route did not answer (unknown, not "nothing").
   */
  served?: string[];
  /** Epoch ms of the probe. */
  checkedAt: number;
  error?: string;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface EndpointView {
  /** Requests this isolate has in flight to the endpoint. */
  readonly inflight: number;
  /** The same, by tenant (only tenants with requests in flight). */
  readonly tenants: ReadonlyMap<string, number>;
  /** Peak-EWMA of response time (ms to headers); undefined before the first sample. */
  readonly latencyMs: number | undefined;
  readonly health: HealthSample | undefined;
  /** The passive circuit breaker; 'half-open' admits a probe request. */
  readonly breaker: BreakerState;
  /** While the breaker is open: epoch ms when it lets a request through again. */
  readonly breakerRetryAt: number;
  /** Epoch ms until which the endpoint answered 429 / queue full (spill over until then). */
  readonly saturatedUntil: number;
  /** The decayed share of its recent outcomes that failed, 0..1 (src/route/error-rate.ts); 0 with none. */
  readonly errorRate: number;
}

export const UNKNOWN_ENDPOINT: EndpointView = {
  inflight: 0,
  tenants: new Map(),
  latencyMs: undefined,
  health: undefined,
  breaker: 'closed',
  breakerRetryAt: 0,
  saturatedUntil: 0,
  errorRate: 0,
};
