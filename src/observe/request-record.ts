import type { Attempt } from '../forward/forward.ts';
import type { RequestLog } from './request-log.ts';
import type { TraceContext } from './trace-context.ts';
import type { Cost } from '../meter/cost.ts';
import type { TokenUsage } from '../meter/usage.ts';
import type { Usage } from '../limits/limiter.ts';
import { GatewayError } from '../api/errors.ts';

/**
 * What one request did, filled in as it goes (auth, routing, forwarding, relay) and written
 * out once as the request's log line. One object per request, owned by its context.
 */
export interface RequestRecord {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly startedAt: number;
  readonly trace: TraceContext;
  tenant?: string;
  keyId?: string;
  model?: string;
  tier?: string;
  stream?: boolean;
  cache?: string;
  region?: string;
  endpoint?: string;
  /** The forwarder appends every attempt here, so failures are logged with them too. */
  readonly attempts: Attempt[];
  streamOutcome?: string;
  /** Why a stream broke off, as the failed read said (for the log only). */
  streamDetail?: string;
  /** A stream whose upstream was cut, under mid-stream failover: continued to its end, or not (src/forward/stream-continuation.ts). */
  continuation?: 'continued' | 'failed' | 'ineligible';
  /** Continuation legs it took. */
  continuations?: number;
  /** Why it was not continued (for the log only). */
  continuationDetail?: string;
  /** A streamed answer's end: the line waits for it, so `ms` and the outcome cover the whole stream. */
  ended?: Promise<unknown>;
  /** When the chosen upstream was first sent the request (the start of its GPU time). */
  dispatchedAt?: number;
  /** Requests the chosen endpoint was serving when this one joined (its GPUs' sharers). */
  sharedWith?: number;
  /** When the first bytes of a streamed answer went to the client. */
  firstBytesAt?: number;
  /** Answer bytes sent to the client. */
  bytesOut?: number;
  /** Token usage, once read: from a stream as it passed, or (deferred) from `answer`. */
  usage?: TokenUsage;
  /** A whole JSON answer (bytes, or a cache entry's text), read for its usage after the response (off the hot path). */
  answer?: Uint8Array | string | undefined;
  /** Set once metered (src/meter/meter-request.ts). */
  cost?: Cost;
  /** Reconciles the tokens-per-minute estimate and charges the budgets with the metered usage (src/limits/). */
  settle?: ((usage: Usage) => Promise<void>) | undefined;
}

export function newRecord(requestId: string, method: string, path: string, startedAt: number, trace: TraceContext): RequestRecord {
  return { requestId, method, path, startedAt, trace, attempts: [] };
}

/** The log line for a finished request. `error` is what the app's onError turned into the answer. */
export function logLine(record: RequestRecord, status: number, endedAt: number, error: unknown): RequestLog {
  const { trace } = record;
  const line: RequestLog = {
    requestId: record.requestId,
    method: record.method,
    path: record.path,
    status,
    ms: endedAt - record.startedAt,
    traceId: trace.traceId,
    spanId: trace.spanId,
  };
  if (trace.parentSpanId) line.parentSpanId = trace.parentSpanId;
  if (record.tenant !== undefined) line.tenant = record.tenant;
  if (record.keyId !== undefined) line.keyId = record.keyId;
  if (record.model !== undefined) line.model = record.model;
  if (record.tier !== undefined) line.tier = record.tier;
  if (record.region !== undefined) line.region = record.region;
  if (record.endpoint !== undefined) line.endpoint = record.endpoint;
  if (record.stream !== undefined) line.stream = record.stream;
  if (record.attempts.length > 0) line.attempts = record.attempts;
  if (record.streamOutcome !== undefined) line.streamOutcome = record.streamOutcome;
  if (record.streamDetail !== undefined) line.streamDetail = record.streamDetail;
  if (record.continuation !== undefined) line.continuation = { outcome: record.continuation, legs: (record.continuations ?? 0) + 1, ...(record.continuationDetail === undefined ? {} : { detail: record.continuationDetail }) };
  if (record.cache !== undefined) line.cache = record.cache;
  if (record.usage) line.usage = { input: record.usage.input, output: record.usage.output, cached: record.usage.cached };
  if (record.firstBytesAt !== undefined) line.ttftMs = record.firstBytesAt - record.startedAt;
  if (record.cost) {
    line.costUsd = record.cost.usd;
    line.costBasis = record.cost.basis;
  }
  if (error !== undefined) {
    if (error instanceof GatewayError) {
      line.error = { code: error.code, message: error.message, ...(error.detail === undefined ? {} : { upstream: error.detail }) };
    } else {
      line.error = { code: 'internal_error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
  return line;
}
