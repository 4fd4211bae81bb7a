/** Completion tokens assumed when a request sets no max_tokens (settle corrects it after the call). */
export const DEFAULT_COMPLETION_ESTIMATE = 256;

/**
 * Tokens a call will cost, before it is made, for tokens-per-minute: the prompt (a quarter of
 * the request's bytes, an over-estimate for JSON, which is the safe side) plus the completion
 * it asks for. Costs nothing to compute on the hot path; the real usage replaces it in `settle`.
 */
export function estimateTokens(request: { bodyBytes: number; maxTokens?: number | null | undefined; promptTokens?: number | undefined }): number {
  const prompt = request.promptTokens ?? Math.ceil(request.bodyBytes / 4);
  const completion = typeof request.maxTokens === 'number' && request.maxTokens > 0 ? request.maxTokens : DEFAULT_COMPLETION_ESTIMATE;
  return prompt + completion;
}
