import { GatewayError } from '../../api/errors.ts';
import { OPENAI_ENDPOINTS } from '../../api/openai-endpoints.ts';
import type { RequestRecord } from '../request-record.ts';
import { METRIC } from './catalog.ts';
import { labels, observe, type Add } from './series.ts';

/** gen_ai.operation.name for each route: the conventions' names where they have one. */
const OPERATION_BY_PATH: ReadonlyMap<string, string> = new Map([
  [OPENAI_ENDPOINTS.chat.path, 'chat'],
  [OPENAI_ENDPOINTS.completions.path, 'text_completion'],
  [OPENAI_ENDPOINTS.embeddings.path, 'embeddings'],
  [OPENAI_ENDPOINTS.responses.path, 'responses'],
  [OPENAI_ENDPOINTS.rerank.path, 'rerank'],
  [OPENAI_ENDPOINTS.score.path, 'score'],
  [OPENAI_ENDPOINTS.transcriptions.path, 'transcription'],
  [OPENAI_ENDPOINTS.tokenize.path, 'tokenize'],
  [OPENAI_ENDPOINTS.detokenize.path, 'detokenize'],
  ['/v1/models', 'models'],
]);

/** The operation an API path performs; undefined for the gateway's own routes (health, metrics, admin). */
export function operationOf(path: string): string | undefined {
  return OPERATION_BY_PATH.get(path) ?? (path.startsWith('/v1/models/') ? 'models' : undefined);
}

/** Usage row fields: one row per tenant, key, model and region (`|` never appears in the parts). */
export const USAGE_METRICS = ['requests', 'errors', 'input', 'output', 'cached', 'cost'] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];
const part = (s: string | undefined) => (s === undefined || s === '' ? '-' : s.replaceAll('|', '_'));
export const usageField = (tenant: string | undefined, keyId: string | undefined, model: string | undefined, region: string | undefined, metric: UsageMetric) =>
  `${part(tenant)}|${part(keyId)}|${part(model)}|${part(region)}|${metric}`;

const NONE = 'none';
const GENERATING: ReadonlySet<string> = new Set(['chat', 'text_completion', 'responses', 'transcription']);

/** A finished API request as metric deltas (`metric`) and its usage row (`usage`). */
export function observeRequest(record: RequestRecord, operation: string, status: number, error: unknown, endedAt: number, metric: Add, usage: Add): void {
  const model = record.model ?? NONE;
  const region = record.region ?? NONE;
  const tenant = record.tenant ?? NONE;
  const seconds = (endedAt - record.startedAt) / 1000;

  metric(
    `${METRIC.requests.name}${labels({ gen_ai_operation_name: operation, gen_ai_request_model: model, tier: record.tier ?? NONE, region, tenant, status: String(status), cache: record.cache ?? NONE })}`,
    1,
  );
  const base = labels({ gen_ai_operation_name: operation, gen_ai_request_model: model, region });
  observe(metric, METRIC.duration, status < 400 ? base : labels({ gen_ai_operation_name: operation, gen_ai_request_model: model, region, error_type: String(status) }), seconds);
  if (record.cache !== undefined) metric(`${METRIC.cache.name}${labels({ result: record.cache, gen_ai_request_model: model })}`, 1);
  if (record.bytesOut !== undefined) metric(`${METRIC.responseBytes.name}${labels({ region })}`, record.bytesOut);

  if (record.firstBytesAt !== undefined) {
    observe(metric, METRIC.ttft, base, (record.firstBytesAt - record.startedAt) / 1000);
    const after = (record.usage?.output ?? 0) - 1;
    if (after > 0) observe(metric, METRIC.tpot, base, (endedAt - record.firstBytesAt) / 1000 / after);
  }
  if (record.streamOutcome !== undefined) metric(`${METRIC.streams.name}${labels({ outcome: record.streamOutcome })}`, 1);

  const u = record.usage;
  if (u) {
    observe(metric, METRIC.tokenUsage, labels({ gen_ai_token_type: 'input', gen_ai_operation_name: operation, gen_ai_request_model: model, region }), u.input);
    // Pooling routes (embeddings, score, rerank) generate nothing: no output observation.
    if (GENERATING.has(operation)) observe(metric, METRIC.tokenUsage, labels({ gen_ai_token_type: 'output', gen_ai_operation_name: operation, gen_ai_request_model: model, region }), u.output);
    for (const [type, n] of [['input', u.input], ['output', u.output], ['cached_input', u.cached]] as const) {
      if (n > 0) metric(`${METRIC.tokens.name}${labels({ gen_ai_token_type: type, gen_ai_request_model: model, region, tenant })}`, n);
    }
  }
  const cost = record.cost;
  if (cost) {
    metric(`${METRIC.cost.name}${labels({ gen_ai_request_model: model, region, tenant, basis: cost.basis })}`, cost.usd);
    if (cost.gpuUsd !== undefined) metric(`${METRIC.gpuCost.name}${labels({ gen_ai_request_model: model, region, tenant })}`, cost.gpuUsd);
  }

  let sent = 0;
  for (const a of record.attempts) {
    metric(`${METRIC.attempts.name}${labels({ endpoint: a.endpoint, outcome: String(a.outcome) })}`, 1);
    if (a.outcome !== 'circuit-open' && a.outcome !== 'no-credentials') sent++;
  }
  if (sent > 1) metric(`${METRIC.failovers.name}${labels({ gen_ai_request_model: model, result: status < 400 ? 'recovered' : 'failed' })}`, 1);

  if (status >= 400) {
    const type = error instanceof GatewayError ? error.type : status >= 500 ? 'server_error' : 'invalid_request_error';
    const code = error instanceof GatewayError ? (error.code ?? NONE) : 'internal_error';
    metric(`${METRIC.errors.name}${labels({ error_type: type, code, region })}`, 1);
  }

  // The usage row: who used what, where (tenant and key included; metrics above stop at tenant).
  const row = (m: UsageMetric, n: number) => usage(usageField(record.tenant, record.keyId, record.model, record.region, m), n);
  row('requests', 1);
  if (status >= 400) row('errors', 1);
  if (u) {
    if (u.input > 0) row('input', u.input);
    if (u.output > 0) row('output', u.output);
    if (u.cached > 0) row('cached', u.cached);
  }
  if (cost && cost.usd > 0) row('cost', cost.usd);
}
