// Everything one simulated vLLM server keeps between requests.
import { type Faults, NO_FAULTS } from './faults.ts';
import { KvCache } from './kv-cache.ts';
import type { SimProfile } from './latency-model.ts';
import type { MetricsSnapshot } from './metrics.ts';
import { RequestLog } from './request-log.ts';
import { Scheduler } from './scheduler.ts';

export interface Counters {
  promptTokens: number;
  generationTokens: number;
  readonly success: Record<'stop' | 'length' | 'abort', number>;
}

export interface SimState {
  readonly profile: SimProfile;
  /** Served names of the one engine, like vLLM's `--served-model-name a b`; the first labels metrics. */
  readonly models: readonly string[];
  readonly seed: number;
  readonly apiKey: string | undefined;
  readonly kv: KvCache;
  readonly scheduler: Scheduler;
  readonly log: RequestLog;
  readonly counters: Counters;
  /** Epoch seconds at start: the `created` of every model. */
  readonly startedAt: number;
  faults: Faults;
  /** Inference requests since faults last changed: the position in the error-rate sequence. */
  faultSeq: number;
  nextRequestId: number;
  /** GPUs whose DCGM gauges /metrics prints (0: none, as plain vLLM). */
  readonly gpuMetrics: number;
}

export interface StateConfig {
  readonly profile: SimProfile;
  readonly models: readonly string[];
  readonly seed: number;
  readonly apiKey: string | undefined;
  readonly faults: Faults;
  readonly requestLogSize: number;
  readonly gpuMetrics?: number;
}

export function createSimState(c: StateConfig): SimState {
  const kv = new KvCache({ numBlocks: c.profile.kvCacheBlocks, blockSize: c.profile.blockSize });
  return {
    profile: c.profile,
    models: c.models,
    seed: c.seed,
    apiKey: c.apiKey,
    kv,
    scheduler: new Scheduler(c.profile, kv),
    log: new RequestLog(c.requestLogSize),
    counters: { promptTokens: 0, generationTokens: 0, success: { stop: 0, length: 0, abort: 0 } },
    startedAt: Math.floor(Date.now() / 1000),
    faults: c.faults,
    faultSeq: 0,
    nextRequestId: 1,
    gpuMetrics: c.gpuMetrics ?? 0,
  };
}

export function setFaults(state: SimState, faults: Faults): void {
  state.faults = faults;
  state.faultSeq = 0;
}

export function metricsSnapshot(state: SimState): MetricsSnapshot {
  return {
    modelName: state.models[0] ?? '',
    running: state.scheduler.running,
    waiting: state.scheduler.waiting,
    kvCacheUsage: state.kv.usage(),
    prefixCacheQueries: state.kv.queries,
    prefixCacheHits: state.kv.hits,
    blockSize: state.profile.blockSize,
    numGpuBlocks: state.profile.kvCacheBlocks,
    success: state.counters.success,
    promptTokens: state.counters.promptTokens,
    generationTokens: state.counters.generationTokens,
  };
}
