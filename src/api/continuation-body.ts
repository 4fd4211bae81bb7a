/**
 * The request that continues a streamed completion on another endpoint once its first upstream
 * died mid-way (src/forward/stream-continuation.ts). vLLM continues a chat's final assistant
 * message when asked `continue_final_message: true` with `add_generation_prompt: false` (no new
 * turn: the template leaves the message open); a text completion continues a prompt extended by
 * the text so far. Either way it answers only the new tokens (no `echo`), which the gateway
 * relays as the rest of the same stream. With `n > 1` each unfinished choice gets its own
 * request (n = 1) with its own text so far.
 */

export type ContinuableRoute = 'chat' | 'completions';

/** What the client has received so far of one choice. */
export interface PartialAnswer {
  text: string;
  /** Tokens it was streamed in (one per chunk, or vLLM's running usage when the chunks carry it). */
  tokens: number;
}

/** vLLM's default `max_tokens` for /v1/completions (chat's default is what the context has left, which shrinks by itself). */
const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** The most choices a continued stream keeps apart (each holds its text so far); more are relayed as without the option. */
export const MAX_CONTINUED_CHOICES = 128;

/** The request's `n` (choices, each its own sequence); 1 when absent. */
export function choiceCount(json: Readonly<Record<string, unknown>>): number {
  const n = json['n'];
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

const STRUCTURED = ['guided_json', 'guided_regex', 'guided_choice', 'guided_grammar', 'structured_outputs'] as const;

/**
 * Why a request's stream could never be continued, or undefined when it can. Checked once, on the
 * parsed body, before the stream starts: such streams are relayed exactly as without the option
 * (no parsing), and a cut ends them with the error event as before.
 */
export function continuationBlocker(route: ContinuableRoute, json: Readonly<Record<string, unknown>>): string | undefined {
  const n = json['n'];
  if (typeof n === 'number' && (!Number.isInteger(n) || n > MAX_CONTINUED_CHOICES)) return `n > ${MAX_CONTINUED_CHOICES} or not an integer (each choice's text so far is kept apart, up to ${MAX_CONTINUED_CHOICES})`;
  // vLLM samples best_of candidates and streams only when best_of = n: which candidate is kept is known at the end.
  if (typeof json['best_of'] === 'number' && json['best_of'] > 1) return 'best_of > 1 (the answer is picked among candidates only at the end)';
  if (json['use_beam_search'] === true) return 'beam search (beams are re-ranked until the end: the text so far may not start the answer)';
  if (json['echo'] === true) return 'echo (the answer starts with the prompt: the text so far is not all the model\'s own)';
  // The continuation's prompt is the request's plus the text so far: its prompt logprobs would not be the request's.
  if (json['prompt_logprobs'] !== undefined && json['prompt_logprobs'] !== null) return 'prompt_logprobs (a continuation\'s prompt holds the answer so far)';
  const grammar = 'structured output (a grammar restarts from its first symbol on the continuation: the whole would not parse)';
  const format = json['response_format'];
  if (typeof format === 'object' && format !== null && (format as { type?: unknown }).type !== 'text') return grammar;
  if (STRUCTURED.some((field) => json[field] !== undefined && json[field] !== null)) return grammar;
  if (route === 'chat' && json['continue_final_message'] === true && typeof lastMessage(json)?.content !== 'string') return 'continuing a message that is not text (vLLM continues a final message\'s text only)';
  if (route === 'completions' && promptText(json['prompt']) === undefined) return 'token-id or batched prompt (the text so far cannot extend it)';
  return undefined;
}

const lastMessage = (json: Readonly<Record<string, unknown>>): { role?: unknown; content?: unknown } | undefined => {
  const messages = json['messages'];
  const last: unknown = Array.isArray(messages) ? messages[messages.length - 1] : undefined;
  return typeof last === 'object' && last !== null ? (last as { role?: unknown; content?: unknown }) : undefined;
};

/** A text completion's prompt as one string: a string, or a batch of one. */
function promptText(prompt: unknown): string | undefined {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') return prompt[0];
  return undefined;
}

/** The budget left of an optional limit once `used` tokens were answered; undefined when the limit is absent. */
function reduced(limit: unknown, used: number): number | undefined {
  return typeof limit === 'number' ? limit - used : undefined;
}

/**
 * The continuation's JSON body: the client's request (every field kept, the model id settled),
 * with the text so far to continue, token limits reduced by what was answered, usage asked for.
 * Undefined when nothing is left to answer (the limit was reached, so the answer was whole).
 */
export function continuationBody(route: ContinuableRoute, json: Readonly<Record<string, unknown>>, model: string, partial: PartialAnswer): string | undefined {
  const options = json['stream_options'];
  const body: Record<string, unknown> = {
    ...json,
    model,
    stream: true,
    stream_options: { ...(typeof options === 'object' && options !== null ? options : {}), include_usage: true },
  };
  // One choice is continued per request (n > 1: each unfinished one on its own).
  if (typeof json['n'] === 'number' && json['n'] > 1) body['n'] = 1;
  const limits = route === 'chat' ? (['max_tokens', 'max_completion_tokens'] as const) : (['max_tokens'] as const);
  for (const field of limits) {
    const left = reduced(route === 'completions' ? (json[field] ?? COMPLETIONS_DEFAULT_MAX_TOKENS) : json[field], partial.tokens);
    if (left === undefined) continue;
    if (left < 1) return undefined;
    if (partial.tokens > 0) body[field] = left;
  }
  const min = reduced(json['min_tokens'], partial.tokens);
  if (min !== undefined) body['min_tokens'] = Math.max(0, min);
  // Nothing of this choice was streamed: it is asked afresh. (An empty final message cannot be
  // continued: the template would close it, and the model would start a new turn.)
  if (partial.text === '') return JSON.stringify(body);
  if (route === 'chat') {
    const messages: unknown[] = Array.isArray(json['messages']) ? json['messages'] : [];
    // A client continuing its own assistant message: the text so far extends that message.
    const last = json['continue_final_message'] === true ? lastMessage(json) : undefined;
    body['messages'] = last
      ? [...messages.slice(0, -1), { ...last, content: `${String(last.content)}${partial.text}` }]
      : [...messages, { role: 'assistant', content: partial.text }];
    body['continue_final_message'] = true;
    body['add_generation_prompt'] = false;
  } else {
    body['prompt'] = `${promptText(json['prompt']) ?? ''}${partial.text}`;
  }
  return JSON.stringify(body);
}
