import { GatewayError } from '../../api/errors.ts';
import type { RequestRecord } from '../request-record.ts';
import { METRIC, type MetricDef } from './catalog.ts';
import { labels, type Add } from './series.ts';

/**
 * Requests of one shape (operation, model, tier, region, tenant, key, status, cache, stream
 * outcome, error, cost basis) added up as plain numbers. A request costs one short key and a
 * few additions here; the metric field names are built once per shape when the deltas are
 * written (src/observe/metrics/metrics.ts), not once per request.
 */
export interface RequestShape {
  operation: string;
  model: string;
  tier: string;
  region: string;
  tenant: string;
  keyId: string | undefined;
  status: number;
  cache: string | undefined;
  streamOutcome: string | undefined;
  continuation: string | undefined;
  errorType: string | undefined;
  errorCode: string | undefined;
  costBasis: string | undefined;
}

const NONE = 'none';
const GENERATING: ReadonlySet<string> = new Set(['chat', 'text_completion', 'responses', 'transcription']);

/** Observations of one histogram: per-bucket counts (not cumulative), sum and count. */
class Histo {
  readonly counts: number[];
  sum = 0;
  count = 0;
  readonly def: MetricDef;
  constructor(def: MetricDef) {
    this.def = def;
    this.counts = new Array<number>((def.buckets ?? []).length).fill(0);
  }
  add(value: number): void {
    const bounds = this.def.buckets ?? [];
    for (let i = 0; i < bounds.length; i++) {
      if (value <= (bounds[i] as number)) {
        this.counts[i] = (this.counts[i] ?? 0) + 1;
        break;
      }
    }
    this.sum += value;
    this.count++;
  }
  emit(metric: Add, labelText: string): void {
    if (this.count === 0) return;
    const bounds = this.def.buckets ?? [];
    const inner = labelText === '' ? '' : `${labelText.slice(1, -1)},`;
    for (let i = 0; i < bounds.length; i++) if (this.counts[i]) metric(`${this.def.name}_bucket{${inner}le="${bounds[i]}"}`, this.counts[i] as number);
    metric(`${this.def.name}_sum${labelText}`, this.sum);
    metric(`${this.def.name}_count${labelText}`, this.count);
  }
}

export class RequestTally {
  requests = 0;
  readonly duration = new Histo(METRIC.duration);
  readonly ttft = new Histo(METRIC.ttft);
  readonly tpot = new Histo(METRIC.tpot);
  readonly inputTokens = new Histo(METRIC.tokenUsage);
  readonly outputTokens = new Histo(METRIC.tokenUsage);
  input = 0;
  output = 0;
  cached = 0;
  costUsd = 0;
  gpuUsd = 0;
  priced = false;
  gpuPriced = false;
  bytes = 0;
  sawBytes = false;
  failoversRecovered = 0;
  failoversFailed = 0;

  readonly shape: RequestShape;
  constructor(shape: RequestShape) {
    this.shape = shape;
  }

  add(record: RequestRecord, endedAt: number): void {
    this.requests++;
    this.duration.add((endedAt - record.startedAt) / 1000);
    if (record.bytesOut !== undefined) {
      this.bytes += record.bytesOut;
      this.sawBytes = true;
    }
    const u = record.usage;
    if (record.firstBytesAt !== undefined) {
      this.ttft.add((record.firstBytesAt - record.startedAt) / 1000);
      const after = (u?.output ?? 0) - 1;
      if (after > 0) this.tpot.add((endedAt - record.firstBytesAt) / 1000 / after);
    }
    if (u) {
      this.inputTokens.add(u.input);
      if (GENERATING.has(this.shape.operation)) this.outputTokens.add(u.output);
      this.input += u.input;
      this.output += u.output;
      this.cached += u.cached;
    }
    const cost = record.cost;
    if (cost) {
      this.priced = true;
      this.costUsd += cost.usd;
      if (cost.gpuUsd !== undefined) {
        this.gpuPriced = true;
        this.gpuUsd += cost.gpuUsd;
      }
    }
    let sent = 0;
    for (const a of record.attempts) if (a.outcome !== 'circuit-open' && a.outcome !== 'no-credentials') sent++;
    if (sent > 1) {
      if (this.shape.status < 400) this.failoversRecovered++;
      else this.failoversFailed++;
    }
  }

  /** The metric deltas and usage row of every request added, under the shape's labels. */
  emit(metric: Add, usage: Add): void {
    const s = this.shape;
    const n = this.requests;
    metric(`${METRIC.requests.name}${labels({ gen_ai_operation_name: s.operation, gen_ai_request_model: s.model, tier: s.tier, region: s.region, tenant: s.tenant, status: String(s.status), cache: s.cache ?? NONE })}`, n);
    const base = labels({ gen_ai_operation_name: s.operation, gen_ai_request_model: s.model, region: s.region });
    this.duration.emit(metric, s.status < 400 ? base : labels({ gen_ai_operation_name: s.operation, gen_ai_request_model: s.model, region: s.region, error_type: String(s.status) }));
    if (s.cache !== undefined) metric(`${METRIC.cache.name}${labels({ result: s.cache, gen_ai_request_model: s.model })}`, n);
    if (this.sawBytes) metric(`${METRIC.responseBytes.name}${labels({ region: s.region })}`, this.bytes);
    this.ttft.emit(metric, base);
    this.tpot.emit(metric, base);
    if (s.streamOutcome !== undefined) metric(`${METRIC.streams.name}${labels({ outcome: s.streamOutcome })}`, n);
    if (s.continuation !== undefined) metric(`${METRIC.continuations.name}${labels({ outcome: s.continuation })}`, n);
    this.inputTokens.emit(metric, labels({ gen_ai_token_type: 'input', gen_ai_operation_name: s.operation, gen_ai_request_model: s.model, region: s.region }));
    this.outputTokens.emit(metric, labels({ gen_ai_token_type: 'output', gen_ai_operation_name: s.operation, gen_ai_request_model: s.model, region: s.region }));
    for (const [type, count] of [['input', this.input], ['output', this.output], ['cached_input', this.cached]] as const) {
      if (count > 0) metric(`${METRIC.tokens.name}${labels({ gen_ai_token_type: type, gen_ai_request_model: s.model, region: s.region, tenant: s.tenant })}`, count);
    }
    if (this.priced) metric(`${METRIC.cost.name}${labels({ gen_ai_request_model: s.model, region: s.region, tenant: s.tenant, basis: s.costBasis ?? NONE })}`, this.costUsd);
    if (this.gpuPriced) metric(`${METRIC.gpuCost.name}${labels({ gen_ai_request_model: s.model, region: s.region, tenant: s.tenant })}`, this.gpuUsd);
    if (this.failoversRecovered > 0) metric(`${METRIC.failovers.name}${labels({ gen_ai_request_model: s.model, result: 'recovered' })}`, this.failoversRecovered);
    if (this.failoversFailed > 0) metric(`${METRIC.failovers.name}${labels({ gen_ai_request_model: s.model, result: 'failed' })}`, this.failoversFailed);
    if (s.status >= 400) metric(`${METRIC.errors.name}${labels({ error_type: s.errorType ?? NONE, code: s.errorCode ?? NONE, region: s.region })}`, n);

    // The usage row: who used what, where (tenant and key included; the metrics stop at tenant).
    const row = usageRow(s);
    usage(`${row}requests`, n);
    if (s.status >= 400) usage(`${row}errors`, n);
    if (this.input > 0) usage(`${row}input`, this.input);
    if (this.output > 0) usage(`${row}output`, this.output);
    if (this.cached > 0) usage(`${row}cached`, this.cached);
    if (this.costUsd > 0) usage(`${row}cost`, this.costUsd);
  }
}

/** Usage rows: one per tenant, key, model and region (`|` never appears in the parts). */
export const USAGE_METRICS = ['requests', 'errors', 'input', 'output', 'cached', 'cost'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];
const part = (s: string | undefined) => (s === undefined || s === '' || s === NONE ? '-' : s.replaceAll('|', '_'));
const usageRow = (s: RequestShape) => `${part(s.tenant)}|${part(s.keyId)}|${part(s.model)}|${part(s.region)}|`;

function errorOf(status: number, error: unknown): { errorType: string | undefined; errorCode: string | undefined } {
  if (status < 400) return { errorType: undefined, errorCode: undefined };
  if (error instanceof GatewayError) return { errorType: error.type, errorCode: error.code ?? NONE };
  return { errorType: status >= 500 ? 'server_error' : 'invalid_request_error', errorCode: 'internal_error' };
}

/** The short key a finished request is tallied under: everything its labels depend on. */
export function tallyKey(record: RequestRecord, operation: string, status: number, error: unknown): string {
  // An error's type as well as its code: the same code can come with another type (an unknown route's not_found_error).
  const failure = status < 400 ? '' : error instanceof GatewayError ? `${error.type}\u0001${error.code ?? NONE}` : 'internal_error';
  return `${operation}\u0001${record.model ?? ''}\u0001${record.tier ?? ''}\u0001${record.region ?? ''}\u0001${record.tenant ?? ''}\u0001${record.keyId ?? ''}\u0001${status}\u0001${record.cache ?? ''}\u0001${record.streamOutcome ?? ''}\u0001${record.continuation ?? ''}\u0001${failure}\u0001${record.cost?.basis ?? ''}`;
}

/** The labels of a finished request (made once per tally key). */
export function shapeOf(record: RequestRecord, operation: string, status: number, error: unknown): RequestShape {
  return {
    operation,
    model: record.model ?? NONE,
    tier: record.tier ?? NONE,
    region: record.region ?? NONE,
    tenant: record.tenant ?? NONE,
    keyId: record.keyId,
    status,
    cache: record.cache,
    streamOutcome: record.streamOutcome,
    continuation: record.continuation,
    ...errorOf(status, error),
    costBasis: record.cost?.basis,
  };
}

/** Endpoints whose attempt fields are remembered (the fleet's, in practice); past it the memo starts over. */
const MAX_MEMO_ENDPOINTS = 1_024;
/** Outcomes remembered per endpoint (statuses and failure kinds: a few dozen at most). */
const MAX_MEMO_OUTCOMES = 64;
const attemptFields = new Map<string, Map<number | string, string>>();

/** One upstream attempt's counter field: built once per endpoint and outcome, not per request. */
export function attemptField(endpoint: string, outcome: number | string): string {
  let byOutcome = attemptFields.get(endpoint);
  if (byOutcome === undefined) {
    if (attemptFields.size >= MAX_MEMO_ENDPOINTS) attemptFields.clear();
    attemptFields.set(endpoint, (byOutcome = new Map()));
  }
  let field = byOutcome.get(outcome);
  if (field === undefined) {
    field = `${METRIC.attempts.name}${labels({ endpoint, outcome: String(outcome) })}`;
    if (byOutcome.size < MAX_MEMO_OUTCOMES) byOutcome.set(outcome, field);
  }
  return field;
}
