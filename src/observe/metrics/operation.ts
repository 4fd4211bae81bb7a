import { OPENAI_ENDPOINTS } from '../../api/openai-endpoints.ts';

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
