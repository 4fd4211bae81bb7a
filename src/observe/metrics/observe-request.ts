import { OPENAI_ENDPOINTS } from '../../api/openai-endpoints.ts';
import type { RequestRecord } from '../request-record.ts';
import { attemptField, RequestTally, shapeOf, type UsageMetric } from './request-tally.ts';
import type { Add } from './series.ts';

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

export { USAGE_METRICS, type UsageMetric } from './request-tally.ts';

/** A usage row's field (what /v1/usage reads back): tenant, key, model, region, metric. */
export const usageField = (tenant: string | undefined, keyId: string | undefined, model: string | undefined, region: string | undefined, metric: UsageMetric) =>
  `${part(tenant)}|${part(keyId)}|${part(model)}|${part(region)}|${metric}`;
const part = (s: string | undefined) => (s === undefined || s === '' ? '-' : s.replaceAll('|', '_'));

/**
 * One finished API request as metric deltas (`metric`) and its usage row (`usage`): the same
 * fields the tallies of src/observe/metrics/metrics.ts write for many requests of a shape.
 */
export function observeRequest(record: RequestRecord, operation: string, status: number, error: unknown, endedAt: number, metric: Add, usage: Add): void {
  const tally = new RequestTally(shapeOf(record, operation, status, error));
  tally.add(record, endedAt);
  tally.emit(metric, usage);
  for (const a of record.attempts) metric(attemptField(a.endpoint, a.outcome), 1);
}
