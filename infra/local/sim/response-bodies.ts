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

/** One choice of a whole answer. */
export interface ChoiceOut {
  readonly text: string;
  readonly finish: FinishReason;
  /** vLLM's logprobs object for the choice, or null when none were asked. */
  readonly logprobs: unknown;
}

/** A whole answer: one choice (`text`, `finish`), or `choices` when the request asked for n. */
export function completionBody(kind: InferenceKind, meta: ResponseMeta, text: string, finish: FinishReason, usage: Usage, choices?: readonly ChoiceOut[]): string {
  if (kind === 'response') return JSON.stringify(responseObject(meta, 'completed', finish, [messageItem(meta, text, 'completed')], usage));
  const all = choices ?? [{ text, finish, logprobs: null }];
  if (kind === 'chat') {
    return JSON.stringify({
      id: meta.id,
      object: 'chat.completion',
      created: meta.created,
      model: meta.model,
      choices: all.map((c, index) => ({
        index,
        message: { role: 'assistant', content: c.text, reasoning_content: null, tool_calls: [] },
        logprobs: c.logprobs,
        finish_reason: c.finish,
        stop_reason: null,
      })),
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
    choices: all.map((c, index) => ({ index, text: c.text, logprobs: c.logprobs, finish_reason: c.finish, stop_reason: null, prompt_logprobs: null })),
    usage,
    kv_transfer_params: null,
  });
}

export const SSE_DONE = 'data: [DONE]\n\n';

/** The SSE events of one stream. */
export interface StreamFrames {
  /** What opens the stream (of choice `index`): chat's `delta: {role: "assistant"}` chunk, a response's created / added events. */
  start(index?: number): string;
  /** One token of choice `index` (default 0), with its logprobs as JSON when they were asked. */
  token(piece: string, finish: FinishReason | null, index?: number, logprobs?: string): string;
  /** The `include_usage` chunk: empty choices, usage filled (a response carries usage in its last event instead). */
  usage(usage: Usage): string;
  /** What ends it: `data: [DONE]`, or a response's done / completed events. */
  end(text: string, finish: FinishReason, usage: Usage): string;
}

/** The Responses API's usage: input / output tokens, the cached share. */
const responseUsage = (u: Usage) => ({
  input_tokens: u.prompt_tokens,
  input_tokens_details: { cached_tokens: u.prompt_tokens_details.cached_tokens },
  output_tokens: u.completion_tokens,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: u.total_tokens,
});

const itemId = (meta: ResponseMeta) => `msg_${meta.id.slice('resp_'.length)}`;

function messageItem(meta: ResponseMeta, text: string, status: 'in_progress' | 'completed') {
  return { id: itemId(meta), type: 'message', status, role: 'assistant', content: status === 'completed' ? [{ type: 'output_text', text, annotations: [], logprobs: [] }] : [] };
}

function responseObject(meta: ResponseMeta, status: 'in_progress' | 'completed' | 'incomplete', finish: FinishReason | null, output: unknown[], usage: Usage | null) {
  return {
    id: meta.id,
    object: 'response',
    created_at: meta.created,
    model: meta.model,
    status: finish === 'length' ? 'incomplete' : status,
    incomplete_details: finish === 'length' ? { reason: 'max_output_tokens' } : null,
    error: null,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage: usage === null ? null : responseUsage(usage),
  };
}

/** The Responses API's stream: typed events (`event: <type>`), each numbered, ending in response.completed. */
function responseFrames(meta: ResponseMeta): StreamFrames {
  let sequence = 0;
  const event = (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`;
  const at = { item_id: itemId(meta), output_index: 0, content_index: 0 };
  return {
    start: () =>
      event('response.created', { response: responseObject(meta, 'in_progress', null, [], null) }) +
      event('response.in_progress', { response: responseObject(meta, 'in_progress', null, [], null) }) +
      event('response.output_item.added', { output_index: 0, item: messageItem(meta, '', 'in_progress') }) +
      event('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }),
    token: (piece) => event('response.output_text.delta', { ...at, delta: piece, logprobs: [] }),
    usage: () => '',
    end: (text, finish, usage) => {
      const item = messageItem(meta, text, 'completed');
      const last = finish === 'length' ? 'response.incomplete' : 'response.completed';
      return (
        event('response.output_text.done', { ...at, text, logprobs: [] }) +
        event('response.content_part.done', { ...at, part: { type: 'output_text', text, annotations: [] } }) +
        event('response.output_item.done', { output_index: 0, item }) +
        event(last, { response: responseObject(meta, 'completed', finish, [item], usage) })
      );
    },
  };
}

export function streamFrames(kind: InferenceKind, meta: ResponseMeta): StreamFrames {
  if (kind === 'response') return responseFrames(meta);
  const object = kind === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  const head = `data: {"id":${JSON.stringify(meta.id)},"object":"${object}","created":${meta.created},"model":${JSON.stringify(meta.model)},`;
  const finishOf = (f: FinishReason | null): string => (f === null ? 'null' : `"${f}"`);
  return {
    start: (index = 0) => (kind === 'chat' ? `${head}"choices":[{"index":${index},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n` : ''),
    token:
      kind === 'chat'
        ? (piece, finish, index = 0, logprobs = 'null') =>
            `${head}"choices":[{"index":${index},"delta":{"content":${JSON.stringify(piece)}},"logprobs":${logprobs},"finish_reason":${finishOf(finish)}${finish === null ? '' : ',"stop_reason":null'}}]}\n\n`
        : (piece, finish, index = 0, logprobs = 'null') =>
            `${head}"choices":[{"index":${index},"text":${JSON.stringify(piece)},"logprobs":${logprobs},"finish_reason":${finishOf(finish)},"stop_reason":null}]}\n\n`,
    usage: (usage) => `${head}"choices":[],"usage":${JSON.stringify(usage)}}\n\n`,
    end: () => SSE_DONE,
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
