// The LMI (djl-serving) container behind a SageMaker endpoint, as serializations of the
// simulator's own engine: the request is handed to the simulated vLLM OpenAI server (same
// latency model, KV cache and deterministic text), and its answer is written in one of LMI's
// two output styles:
//  - openai-sse: the request is OpenAI's chat/completion body; the answer is OpenAI JSON, or
//    `data: {chunk}` events ending with `data: [DONE]`, exactly as vLLM writes them.
//  - json-lines: the request is LMI's `{"inputs", "parameters", "stream"}`; the answer is
//    `{"generated_text", "details"}`, or one JSON line per token
//    (`{"token":{"id","text","logprob","special"},"generated_text":null,"details":null}`) and a
//    last line that also carries `generated_text` and `details`.

export type OutputStyle = 'openai-sse' | 'json-lines';

export interface ContainerRequest {
  readonly style: OutputStyle;
  /** Route on the simulated vLLM server. */
  readonly route: '/chat/completions' | '/completions';
  readonly body: string;
  /** json-lines: whether `parameters.details` asked for finish reason and token counts. */
  readonly details: boolean;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** LMI picks the schema by the body's shape: `inputs` is its own, anything else is OpenAI's. */
export function containerRequest(text: string, stream: boolean): ContainerRequest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The container answers a 400 for it, which SageMaker wraps in a ModelError.
    return { style: 'openai-sse', route: '/chat/completions', body: text, details: false };
  }
  if (!isObject(json)) return { style: 'openai-sse', route: '/chat/completions', body: text, details: false };
  if ('inputs' in json) {
    const p = isObject(json.parameters) ? json.parameters : {};
    const body: Json = {
      prompt: json.inputs,
      ...(p.max_new_tokens === undefined ? {} : { max_tokens: p.max_new_tokens }),
      ...pick(p, ['temperature', 'top_p', 'top_k', 'seed', 'repetition_penalty', 'frequency_penalty', 'presence_penalty', 'min_tokens', 'ignore_eos']),
      ...(p.stop_sequences === undefined ? {} : { stop: p.stop_sequences }),
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    };
    return { style: 'json-lines', route: '/completions', body: JSON.stringify(body), details: p.details === true };
  }
  const { stream_options: options, ...rest } = json;
  const body = { ...rest, stream, ...(stream && options !== undefined ? { stream_options: options } : {}) };
  return { style: 'openai-sse', route: 'messages' in json ? '/chat/completions' : '/completions', body: JSON.stringify(body), details: false };
}

function pick(from: Json, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (from[k] !== undefined) out[k] = from[k];
  return out;
}

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** vLLM's finish reasons in LMI's words. */
const lmiFinish = (reason: unknown): string => (reason === 'length' ? 'length' : reason === 'stop' ? 'eos_token' : String(reason));

const detailsOf = (finish: unknown, usage: Usage | undefined) => ({
  finish_reason: lmiFinish(finish),
  generated_tokens: usage?.completion_tokens ?? 0,
  prompt_tokens: usage?.prompt_tokens ?? 0,
});

/** A non-streaming vLLM completion as LMI's `{"generated_text", "details"}`. */
export function jsonLinesBody(vllmBody: string, details: boolean): string {
  const json = JSON.parse(vllmBody) as { choices: { text: string; finish_reason: unknown }[]; usage?: Usage };
  const choice = json.choices[0];
  return JSON.stringify({ generated_text: choice?.text ?? '', ...(details ? { details: detailsOf(choice?.finish_reason, json.usage) } : {}) });
}

/**
 * Re-writes vLLM's completion SSE (fed in arbitrary chunks) as LMI JSON lines. The finishing
 * token is held back until the usage chunk, so the last line carries the token, the whole
 * text and the details at once, as LMI writes it.
 */
export class JsonLinesWriter {
  readonly #details: boolean;
  #pending = '';
  #text = '';
  #index = 0;
  #last: { text: string; finish: unknown } | undefined;
  #usage: Usage | undefined;

  constructor(details: boolean) {
    this.#details = details;
  }

  /** Output lines for this piece of the vLLM stream ('' when none are complete yet). */
  push(chunk: string): string {
    this.#pending += chunk;
    let out = '';
    for (let nl = this.#pending.indexOf('\n'); nl >= 0; nl = this.#pending.indexOf('\n')) {
      const line = this.#pending.slice(0, nl).trim();
      this.#pending = this.#pending.slice(nl + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]') {
        out += this.#final();
        continue;
      }
      const json = JSON.parse(data) as { choices: { text: string; finish_reason: unknown }[]; usage?: Usage | null };
      if (json.usage) this.#usage = json.usage;
      const choice = json.choices[0];
      if (!choice) continue;
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) this.#last = { text: choice.text, finish: choice.finish_reason };
      else out += this.#line(choice.text, null);
    }
    return out;
  }

  #line(text: string, final: Json | null): string {
    this.#text += text;
    const token = { id: 1000 + this.#index, text, logprob: 0, special: false };
    this.#index += 1;
    return `${JSON.stringify({ token, generated_text: final ? this.#text : null, details: final ? (this.#details ? final : null) : null })}\n`;
  }

  #final(): string {
    const last = this.#last ?? { text: '', finish: 'stop' };
    return this.#line(last.text, detailsOf(last.finish, this.#usage));
  }
}
