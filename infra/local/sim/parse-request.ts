// Reads an OpenAI chat or completions request body into what the simulator needs, checking
// the fields vLLM checks. Every other field (top_k, min_p, repetition_penalty, guided_json,
// chat_template_kwargs, priority, kv_transfer_params, …) is accepted and ignored, like vLLM
// accepts its extra sampling parameters.
import { MAX_LOGPROBS } from './logprobs.ts';
import { applyChatTemplate, type ChatMessage, encodePrompt, type TextPart, tokenize } from './tokenizer.ts';

/** Chat, text completions, and the Responses API (a chat under the hood, answered as a response). */
export type InferenceKind = 'chat' | 'completion' | 'response';

export interface InferenceRequest {
  readonly kind: InferenceKind;
  /** Absent: vLLM serves its first model name. */
  readonly model: string | undefined;
  readonly promptTokens: number[];
  /** max_completion_tokens, else max_tokens; undefined when neither is given. */
  readonly maxTokens: number | undefined;
  readonly minTokens: number;
  readonly ignoreEos: boolean;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly cacheSalt: string;
  readonly seed: number | undefined;
  /** Choices asked (`n`), each its own sequence. */
  readonly n: number;
  /** Logprobs asked: how many alternatives per token (chat `top_logprobs`, completions `logprobs`); undefined when none. */
  readonly logprobs: number | undefined;
  /**
   * What the answer may continue: chat's final assistant message under `continue_final_message`
   * (its text after the prompt the earlier messages make), or a text completion's string prompt
   * (the simulator looks for its own words at its end). src: infra/local/sim/continuation.ts.
   */
  readonly continuation?: { readonly kind: 'final-message'; readonly baseTokens: number[]; readonly text: string } | { readonly kind: 'prompt'; readonly text: string };
}

export type Parsed =
  | { readonly ok: true; readonly request: InferenceRequest }
  | { readonly ok: false; readonly message: string; readonly param?: string };

type Body = Readonly<Record<string, unknown>>;

export function parseInferenceRequest(kind: InferenceKind, body: unknown): Parsed {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return fail('The request body must be a JSON object.');
  }
  const b = body as Body;

  const model = b.model;
  if (model !== undefined && model !== null && typeof model !== 'string') return fail('model must be a string.', 'model');

  const prompt = kind === 'chat' ? chatPrompt(b) : kind === 'response' ? responsePrompt(b) : completionPrompt(b);
  if (!prompt.ok) return prompt;

  const maxTokens = optionalCount(b, kind === 'response' ? 'max_output_tokens' : kind === 'chat' && b.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens', 1);
  if (typeof maxTokens === 'string') return fail(maxTokens, 'max_tokens');
  const minTokens = optionalCount(b, 'min_tokens', 0);
  if (typeof minTokens === 'string') return fail(minTokens, 'min_tokens');
  if (minTokens !== undefined && maxTokens !== undefined && minTokens > maxTokens) {
    return fail(`min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${minTokens}.`, 'min_tokens');
  }
  const n = optionalCount(b, 'n', 1);
  if (typeof n === 'string') return fail(n, 'n');
  if (n !== undefined && n > MAX_CHOICES) return fail(`The simulator generates at most ${MAX_CHOICES} choices per request: n must be <= ${MAX_CHOICES}.`, 'n');
  if (kind === 'response' && n !== undefined && n > 1) return fail('n is not a Responses API field.', 'n');
  const logprobs = logprobsAsked(kind, b);
  if (typeof logprobs === 'string') return fail(logprobs, kind === 'chat' ? 'top_logprobs' : 'logprobs');

  if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') return fail('stream must be a boolean.', 'stream');
  const stream = b.stream === true;
  const options = b.stream_options;
  let includeUsage = false;
  if (options !== undefined && options !== null) {
    if (!stream) return fail('Stream options can only be defined when `stream=True`.', 'stream_options');
    if (typeof options !== 'object' || Array.isArray(options)) return fail('stream_options must be an object.', 'stream_options');
    includeUsage = (options as Body).include_usage === true;
  }

  const salt = b.cache_salt;
  if (salt !== undefined && salt !== null && typeof salt !== 'string') return fail('cache_salt must be a string.', 'cache_salt');
  const seed = b.seed;
  if (seed !== undefined && seed !== null && !Number.isInteger(seed)) return fail('seed must be an integer.', 'seed');

  const continuation = prompt.continuation;
  return {
    ok: true,
    request: {
      ...(continuation === undefined ? {} : { continuation }),
      kind,
      model: model ?? undefined,
      promptTokens: prompt.tokens,
      maxTokens,
      minTokens: minTokens ?? 0,
      ignoreEos: b.ignore_eos === true,
      stream,
      includeUsage,
      cacheSalt: salt ?? '',
      seed: (seed as number | null | undefined) ?? undefined,
      n: n ?? 1,
      logprobs,
    },
  };
}

/** Choices one request may ask for (`n`): the simulator keeps answers small. */
export const MAX_CHOICES = 16;

/** The logprobs a request asks for, as vLLM reads them: chat `logprobs: true` with `top_logprobs`, completions `logprobs: k`. */
function logprobsAsked(kind: InferenceKind, b: Body): number | undefined | string {
  if (kind === 'response') return undefined;
  if (kind === 'chat') {
    if (b.logprobs !== undefined && b.logprobs !== null && typeof b.logprobs !== 'boolean') return 'logprobs must be a boolean.';
    const top = optionalCount(b, 'top_logprobs', 0);
    if (typeof top === 'string') return top;
    if (top !== undefined && top > 0 && b.logprobs !== true) return 'when using `top_logprobs`, `logprobs` must be set to true.';
    if (top !== undefined && top > MAX_LOGPROBS) return `top_logprobs must be <= ${MAX_LOGPROBS}, got ${top}.`;
    return b.logprobs === true ? (top ?? 0) : undefined;
  }
  const k = optionalCount(b, 'logprobs', 0);
  if (typeof k === 'string') return k;
  if (k !== undefined && k > MAX_LOGPROBS) return `Requested sample logprobs of ${k}, which is greater than max allowed: ${MAX_LOGPROBS}`;
  return k;
}

type Prompt = { ok: true; tokens: number[]; continuation?: InferenceRequest['continuation'] } | { ok: false; message: string; param?: string };

function chatPrompt(b: Body): Prompt {
  const raw = b.messages;
  if (!Array.isArray(raw) || raw.length === 0) return fail('messages must be a non-empty array.', 'messages');
  const messages: ChatMessage[] = [];
  for (const [i, m] of raw.entries()) {
    if (typeof m !== 'object' || m === null) return fail(`messages[${i}] must be an object.`, 'messages');
    const msg = m as Body;
    if (typeof msg.role !== 'string') return fail(`messages[${i}].role must be a string.`, 'messages');
    const content = messageContent(msg.content, i);
    if ('error' in content) return fail(content.error, 'messages');
    messages.push({
      role: msg.role,
      content: content.value,
      ...(msg.tool_calls !== undefined && msg.tool_calls !== null ? { toolCalls: msg.tool_calls } : {}),
    });
  }
  const tools = b.tools === null ? undefined : b.tools;
  // vLLM: add_generation_prompt (default true) opens a new assistant turn; continue_final_message
  // instead renders the last (assistant) message unterminated, so the model carries on with it.
  const continueFinal = b.continue_final_message === true;
  if (continueFinal && b.add_generation_prompt !== false) {
    return fail('Cannot set both `continue_final_message` and `add_generation_prompt` to True.', 'continue_final_message');
  }
  if (!continueFinal) return { ok: true, tokens: applyChatTemplate(messages, tools, b.add_generation_prompt !== false) };
  const last = messages[messages.length - 1]!;
  if (last.role !== 'assistant' || last.toolCalls !== undefined) return fail('continue_final_message needs the final message to be an assistant message with text.', 'messages');
  const text = typeof last.content === 'string' ? last.content : last.content === null ? '' : last.content.map((p) => p.text).join('');
  // The Llama template continuing a message is the earlier turns, the assistant header, then the text (no end of turn).
  const baseTokens = applyChatTemplate(messages.slice(0, -1), tools);
  return { ok: true, tokens: tokenize(text, [...baseTokens]), continuation: { kind: 'final-message', baseTokens, text } };
}

/**
 * The Responses API's prompt: `instructions` as a system turn, then `input`, a string or a list
 * of messages whose content is a string or `input_text` / `output_text` parts.
 */
function responsePrompt(b: Body): Prompt {
  const messages: ChatMessage[] = [];
  if (typeof b.instructions === 'string') messages.push({ role: 'system', content: b.instructions });
  const input = b.input;
  if (typeof input === 'string') messages.push({ role: 'user', content: input });
  else if (Array.isArray(input) && input.length > 0) {
    for (const [i, item] of input.entries()) {
      if (typeof item !== 'object' || item === null || typeof (item as Body).role !== 'string') return fail(`input[${i}] must be a message with a role.`, 'input');
      const { role, content } = item as Body;
      const parts = Array.isArray(content)
        ? (content as unknown[]).map((p) => (typeof p === 'object' && p !== null && typeof (p as Body).text === 'string' ? { type: 'text' as const, text: (p as Body).text as string } : null))
        : undefined;
      if (parts?.includes(null)) return fail(`input[${i}].content parts need a string "text".`, 'input');
      messages.push({ role: role as string, content: typeof content === 'string' ? content : ((parts ?? []) as TextPart[]) });
    }
  } else return fail('input must be a string or a non-empty array of messages.', 'input');
  return { ok: true, tokens: applyChatTemplate(messages, b.tools ?? undefined) };
}

type Content = { value: string | TextPart[] | null } | { error: string };

/** A message's content: a string, text parts, or null for none (a tool-calling turn). */
function messageContent(content: unknown, i: number): Content {
  if (content === undefined || content === null) return { value: null };
  if (typeof content === 'string') return { value: content };
  if (!Array.isArray(content)) return { error: `messages[${i}].content must be a string or an array of content parts.` };
  const parts: TextPart[] = [];
  for (const p of content) {
    if (typeof p !== 'object' || p === null) return { error: `messages[${i}].content parts must be objects.` };
    const part = p as Body;
    if (part.type !== 'text') {
      return { error: `This model is text-only: content part type "${String(part.type)}" is not supported.` };
    }
    if (typeof part.text !== 'string') return { error: `messages[${i}].content text parts need a string "text".` };
    parts.push({ type: 'text', text: part.text });
  }
  return { value: parts };
}

function completionPrompt(b: Body): Prompt {
  let prompt = b.prompt;
  // A batch of one is the same as its single prompt; larger batches are not simulated.
  if (Array.isArray(prompt) && prompt.length === 1 && (typeof prompt[0] === 'string' || Array.isArray(prompt[0]))) {
    prompt = prompt[0];
  }
  if (typeof prompt === 'string') return { ok: true, tokens: encodePrompt(prompt), continuation: { kind: 'prompt', text: prompt } };
  if (Array.isArray(prompt) && prompt.length > 0 && prompt.every((t) => Number.isInteger(t) && (t as number) >= 0)) {
    return { ok: true, tokens: prompt as number[] };
  }
  if (Array.isArray(prompt) && prompt.length > 1) {
    return fail('The simulator serves one prompt per request: batched prompts are not supported.', 'prompt');
  }
  return fail('prompt must be a string or a non-empty array of token ids.', 'prompt');
}

/** An optional integer field >= min: the number, undefined when absent, or an error message. */
function optionalCount(b: Body, field: string, min: number): number | undefined | string {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (!Number.isInteger(v) || (v as number) < min) return `${field} must be an integer >= ${min}, got ${JSON.stringify(v)}.`;
  return v as number;
}

function fail(message: string, param?: string): { ok: false; message: string; param?: string } {
  return param === undefined ? { ok: false, message } : { ok: false, message, param };
}
