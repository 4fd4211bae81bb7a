import type { Usage } from './usage.ts';

/** The identity every chunk and body of one response carries. */
export interface ResponseMeta {
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  /** The served model id clients asked for (containers name their model their own way). */
  readonly model: string;
  readonly kind: 'chat' | 'completion';
}

export type FinishReason = 'stop' | 'length';

/** LMI and TGI finish reasons in OpenAI's words: only a token budget is `length`. */
export const finishReasonOf = (lmi: unknown): FinishReason => (lmi === 'length' ? 'length' : 'stop');

export const metaFor = (kind: ResponseMeta['kind'], requestId: string, model: string, nowMs: number): ResponseMeta => ({
  id: `${kind === 'chat' ? 'chatcmpl-' : 'cmpl-'}${requestId}`,
  created: Math.floor(nowMs / 1000),
  model,
  kind,
});

export function completionJson(meta: ResponseMeta, text: string, finish: FinishReason, usage: Usage): string {
  if (meta.kind === 'chat') {
    return JSON.stringify({
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: finish }],
      usage,
    });
  }
  return JSON.stringify({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish }],
    usage,
  });
}

/** One SSE event `data: {chunk}\n\n`, as vLLM and OpenAI frame them. */
export function chunkEvent(meta: ResponseMeta, part: { role?: true; text?: string; finish?: FinishReason; usage?: Usage }): string {
  const object = meta.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const choices = part.usage
    ? []
    : meta.kind === 'chat'
      ? [{ index: 0, delta: part.role ? { role: 'assistant', content: '' } : part.text !== undefined ? { content: part.text } : {}, logprobs: null, finish_reason: part.finish ?? null }]
      : [{ index: 0, text: part.text ?? '', logprobs: null, finish_reason: part.finish ?? null }];
  return `data: ${JSON.stringify({ id: meta.id, object, created: meta.created, model: meta.model, choices, ...(part.usage ? { usage: part.usage } : {}) })}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
