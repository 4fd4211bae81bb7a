import { errors } from '../../api/errors.ts';
import { estimateTokens } from './usage.ts';
import { isObject, type Json } from './json.ts';

/** What the SageMaker backend needs to know about the (already validated) OpenAI request. */
export interface OpenAIRequest {
  readonly kind: 'chat' | 'completion';
  readonly json: Json;
  readonly stream: boolean;
  /** `stream_options.include_usage`: the client wants a usage chunk before [DONE]. */
  readonly includeUsage: boolean;
  /** The prompt as one text: LMI's `inputs`, and the base of usage estimates. */
  readonly prompt: string;
  /** Prompt tokens when they are known exactly (a prompt of token ids), else estimated. */
  readonly promptTokens: number;
}

/** Parses the body the handler validated (the forwarder passes text, not the parsed object). */
export function readRequest(route: 'chat/completions' | 'completions', body: string): OpenAIRequest {
  const json = JSON.parse(body) as unknown;
  if (!isObject(json)) throw errors.invalidRequest('The request body must be a JSON object.');
  const kind = route === 'chat/completions' ? 'chat' : 'completion';
  const stream = json.stream === true;
  const includeUsage = stream && isObject(json.stream_options) && json.stream_options.include_usage === true;
  if (kind === 'chat') {
    const prompt = chatPrompt(json.messages, false);
    return { kind, json, stream, includeUsage, prompt, promptTokens: estimateTokens(prompt) };
  }
  const p = Array.isArray(json.prompt) && json.prompt.length === 1 ? json.prompt[0] : json.prompt;
  if (typeof p === 'string') return { kind, json, stream, includeUsage, prompt: p, promptTokens: estimateTokens(p) };
  if (Array.isArray(p) && p.every((t) => typeof t === 'number')) return { kind, json, stream, includeUsage, prompt: '', promptTokens: p.length };
  return { kind, json, stream, includeUsage, prompt: '', promptTokens: 0 };
}

const ROLE_LABEL: Record<string, string> = { system: 'System', developer: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool', function: 'Tool' };

/**
 * Messages as one prompt, for containers that take LMI's `inputs` text. The model's own chat
 * template is not known at the edge, so this is a neutral role-labelled transcript ending
 * with the assistant's turn; endpoints serving chat models should prefer the openai-sse
 * style, where the container applies its template.
 */
export function chatPrompt(messages: unknown, textOnly: boolean): string {
  if (!Array.isArray(messages)) return '';
  const turns = messages.map((m: unknown) => {
    const message = isObject(m) ? m : {};
    const label = ROLE_LABEL[String(message.role)] ?? 'User';
    return `${label}: ${textOf(message.content, textOnly)}`;
  });
  return `${turns.join('\n\n')}\n\nAssistant:`;
}

/** Text parts joined; other parts (images, audio) are refused when the prompt must be text, skipped when it only feeds an estimate. */
function textOf(content: unknown, textOnly: boolean): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      if (!textOnly) return '';
      throw errors.invalidRequest('This model is served through a text-only SageMaker endpoint: only text content parts are supported.', 'messages');
    })
    .join('');
}

/** OpenAI sampling fields LMI's vLLM and lmi-dist backends read under the same names. */
const SAME_NAME = ['temperature', 'top_p', 'top_k', 'min_p', 'seed', 'repetition_penalty', 'frequency_penalty', 'presence_penalty', 'ignore_eos'] as const;

/**
 * The request in LMI's own schema: `{"inputs", "parameters", "stream"}`. `details` is always
 * asked for: it carries the finish reason and the token counts usage is built from.
 */
export function lmiRequest(request: OpenAIRequest): string {
  const j = request.json;
  if (typeof j.n === 'number' && j.n > 1) throw errors.invalidRequest('This model is served through a SageMaker endpoint that returns one choice: n must be 1.', 'n');
  if (request.kind === 'completion' && request.prompt === '' && request.promptTokens > 0) {
    throw errors.invalidRequest('This model is served through a SageMaker endpoint that takes text prompts, not token ids.', 'prompt');
  }
  const inputs = request.kind === 'chat' ? chatPrompt(j.messages, true) : request.prompt;
  const parameters: Json = { details: true };
  const maxTokens = j.max_completion_tokens ?? j.max_tokens;
  if (typeof maxTokens === 'number') parameters.max_new_tokens = maxTokens;
  for (const key of SAME_NAME) if (j[key] !== undefined && j[key] !== null) parameters[key] = j[key];
  if (typeof j.temperature === 'number') parameters.do_sample = j.temperature > 0;
  if (typeof j.stop === 'string') parameters.stop_sequences = [j.stop];
  else if (Array.isArray(j.stop)) parameters.stop_sequences = j.stop;
  return JSON.stringify({ inputs, parameters, stream: request.stream });
}
