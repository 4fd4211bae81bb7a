/** OpenAI's usage block. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/**
 * When a container reports no token counts (LMI without `details`, an OpenAI-style container
 * that ignores `stream_options`), usage is estimated at 4 characters per token, the usual
 * rule of thumb for English under BPE tokenizers. Estimates are never mixed with counts the
 * container gave: each number is one or the other.
 */
export const estimateTokens = (text: string): number => (text.length === 0 ? 0 : Math.ceil(text.length / 4));

export const usageOf = (prompt: number, completion: number): Usage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});
