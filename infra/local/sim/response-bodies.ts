// vLLM's OpenAI response bodies: whole responses and the SSE chunks of a stream, field for
// field as vLLM's server writes them (its extra `stop_reason`, `prompt_logprobs` and
// `kv_transfer_params` included). Chunks are built from a per-stream prefix string so each
// token costs one small JSON.stringify.
import type { InferenceKind } from './parse-request.ts';
import type { FinishReason } from './text-generator.ts';

export interface ResponseMeta {
  readonly id: string;
  /** Epoch seconds. */
  readonly created: number;
  readonly model: string;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly total_tokens: number;
  readonly completion_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number };
}

export function usageOf(promptTokens: number, completionTokens: number, cachedTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    prompt_tokens_details: { cached_tokens: cachedTokens },
  };
}

export function completionBody(kind: InferenceKind, meta: ResponseMeta, text: string, finish: FinishReason, usage: Usage): string {
  if (kind === 'chat') {
    return JSON.stringify({
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, reasoning_content: null, tool_calls: [] },
          logprobs: null,
          finish_reason: finish,
          stop_reason: null,
        },
      ],
      usage,
      prompt_logprobs: null,
      kv_transfer_params: null,
    });
  }
  return JSON.stringify({
    id: meta.id,
    object: 'text_completion',
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: finish, stop_reason: null, prompt_logprobs: null }],
    usage,
    kv_transfer_params: null,
  });
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** The SSE events of one stream, each framed as `data: {json}\n\n`. */
export interface StreamFrames {
  /** Chat only: the first chunk, `delta: {role: "assistant", content: ""}`. */
  role(): string;
  token(piece: string, finish: FinishReason | null): string;
  /** The `include_usage` chunk: empty choices, usage filled. */
  usage(usage: Usage): string;
}

export function streamFrames(kind: InferenceKind, meta: ResponseMeta): StreamFrames {
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const head = `data: {"id":${JSON.stringify(meta.id)},"object":"${object}","created":${meta.created},"model":${JSON.stringify(meta.model)},`;
  const finishOf = (f: FinishReason | null): string => (f === null ? 'null' : `"${f}"`);
  return {
    role: () => `${head}"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`,
    token:
      kind === 'chat'
        ? (piece, finish) =>
            `${head}"choices":[{"index":0,"delta":{"content":${JSON.stringify(piece)}},"logprobs":null,"finish_reason":${finishOf(finish)}${finish === null ? '' : ',"stop_reason":null'}}]}\n\n`
        : (piece, finish) =>
            `${head}"choices":[{"index":0,"text":${JSON.stringify(piece)},"logprobs":null,"finish_reason":${finishOf(finish)},"stop_reason":null}]}\n\n`,
    usage: (usage) => `${head}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`,
  };
}

/** GET …/models: one entry per served name, all rooted at the first (the engine's model). */
export function modelsBody(models: readonly string[], created: number, maxModelLen: number): string {
  return JSON.stringify({
    object: 'list',
    data: models.map((id, i) => ({
      id,
      object: 'model',
      created,
      owned_by: 'vllm',
      root: models[0],
      parent: null,
      max_model_len: maxModelLen,
      permission: [
        {
          id: `modelperm-${created.toString(16)}${i}`,
          object: 'model_permission',
          created,
          allow_create_engine: false,
          allow_sampling: true,
          allow_logprobs: true,
          allow_search_indices: false,
          allow_view: true,
          allow_fine_tuning: false,
          organization: '*',
          group: null,
          is_blocking: false,
        },
      ],
    })),
  });
}
