import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/api/errors.ts';
import { metaFor } from '../../../src/backends/sagemaker/openai-shapes.ts';
import { chatPrompt, lmiRequest, readRequest } from '../../../src/backends/sagemaker/request.ts';
import { openAIBody } from '../../../src/backends/sagemaker/response-body.ts';
import { ContainerStreamError, jsonLinesTranslator, openAISseTranslator, type StreamTranslator } from '../../../src/backends/sagemaker/stream-translate.ts';

const encode = (s: string) => new TextEncoder().encode(s);

const chatRequest = (extra: Record<string, unknown> = {}) =>
  readRequest('chat/completions', JSON.stringify({ model: 'm', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi ✓' }], max_tokens: 4, stream: true, ...extra }));
const completionRequest = (extra: Record<string, unknown> = {}) =>
  readRequest('completions', JSON.stringify({ model: 'm', prompt: 'Once upon a time', max_tokens: 3, stream: true, ...extra }));

/** Feeds `body` cut into pieces at `cuts` byte offsets, then ends the stream. */
function run(translator: StreamTranslator, body: string, cuts: readonly number[] = []): string {
  const bytes = encode(body);
  let out = '';
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out += translator.push(bytes.subarray(at, cut));
    at = cut;
  }
  return out + translator.end();
}

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta?: Record<string, string>; text?: string; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
const events = (sse: string) => sse.split('\n\n').filter((e) => e !== '');
const chunks = (sse: string) => events(sse).filter((e) => e !== 'data: [DONE]').map((e) => JSON.parse(e.slice(6)) as Chunk);

// LMI's JSON-lines stream for "Hello wörld" (the last line carries the details).
const LMI_LINES = [
  '{"token":{"id":101,"text":"Hello","logprob":-0.1,"special":false},"generated_text":null,"details":null}',
  '{"token":{"id":102,"text":" wör","logprob":-0.2,"special":false},"generated_text":null,"details":null}',
  '{"token":{"id":103,"text":"ld","logprob":-0.3,"special":false},"generated_text":"Hello wörld","details":{"finish_reason":"length","generated_tokens":3,"prompt_tokens":9}}',
].join('\n') + '\n';

// An OpenAI-style container stream (vLLM's framing), without a usage chunk.
const OPENAI_SSE = [
  'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"/opt/ml/model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  '',
  'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"/opt/ml/model","choices":[{"index":0,"delta":{"content":"Grüße"},"finish_reason":null}]}',
  '',
  ': keep-alive comment',
  '',
  'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"/opt/ml/model","choices":[{"index":0,"delta":{"content":" aus Köln"},"finish_reason":"stop"}]}',
  '',
  'data: [DONE]',
  '',
].join('\n') + '\n';

describe('json-lines (LMI) streams → OpenAI SSE', () => {
  it('turns token lines into chat chunks: role first, content, finish, usage from the details, [DONE]', () => {
    const out = run(jsonLinesTranslator(chatRequest({ stream_options: { include_usage: true } }), metaFor('chat', 'req-1', 'sm-model', 1_800_000_000_000)), LMI_LINES);
    const list = chunks(out);
    expect(events(out).at(-1)).toBe('data: [DONE]');
    expect(list.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'Hello' }, { content: ' wör' }, { content: 'ld' }, {}, undefined]);
    expect(list[4]?.choices[0]?.finish_reason).toBe('length');
    expect(list[5]).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } });
    expect(list.every((c) => c.id === 'chatcmpl-req-1' && c.object === 'chat.completion.chunk' && c.model === 'sm-model')).toBe(true);
  });

  it('gives the same output whatever the PayloadPart boundaries (mid-line, mid-character)', () => {
    const whole = run(jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0)), LMI_LINES);
    const length = encode(LMI_LINES).length;
    for (let cut = 1; cut < length; cut++) {
      expect(run(jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0)), LMI_LINES, [cut])).toBe(whole);
    }
    const everyByte = Array.from({ length: length - 1 }, (_, i) => i + 1);
    expect(run(jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0)), LMI_LINES, everyByte)).toBe(whole);
    expect(chunks(whole).map((c) => c.choices[0]?.text)).toEqual(['Hello', ' wör', 'ld', '']);
  });

  it('estimates usage when the container sent no details, counting one token per line', () => {
    const lines = '{"token":{"text":"a"}}\n{"token":{"text":"b"}}\n{"token":{"text":"</s>","special":true}}\n';
    const request = completionRequest({ stream_options: { include_usage: true } });
    const list = chunks(run(jsonLinesTranslator(request, metaFor('completion', 'r', 'm', 0)), lines));
    expect(list.map((c) => c.choices[0]?.text)).toEqual(['a', 'b', '', undefined]);
    expect(list.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    // "Once upon a time" = 16 characters ≈ 4 tokens.
    expect(list.at(-1)?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
  });

  it('accepts lines framed as SSE (TGI) as well as bare lines', () => {
    const sse = LMI_LINES.split('\n').filter(Boolean).map((l) => `data:${l}\n\n`).join('');
    expect(run(jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0)), sse)).toBe(run(jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0)), LMI_LINES));
  });

  it('throws on an error line, so the relay ends the stream with an error event', () => {
    const translator = jsonLinesTranslator(completionRequest(), metaFor('completion', 'r', 'm', 0));
    expect(translator.push(encode('{"token":{"text":"a"}}\n'))).toContain('"text":"a"');
    expect(() => translator.push(encode('{"error":"CUDA out of memory","code":424}\n'))).toThrow(ContainerStreamError);
  });
});

describe('openai-sse (LMI OpenAI-compatible) streams → OpenAI SSE', () => {
  it('passes chunks through with our model id, adds the usage chunk the client asked for, ends with one [DONE]', () => {
    const out = run(openAISseTranslator(chatRequest({ stream_options: { include_usage: true } }), metaFor('chat', 'r', 'sm-model', 0)), OPENAI_SSE);
    const list = chunks(out);
    expect(events(out).filter((e) => e === 'data: [DONE]')).toHaveLength(1);
    expect(events(out).at(-1)).toBe('data: [DONE]');
    expect(list.map((c) => c.model)).toEqual(['sm-model', 'sm-model', 'sm-model', 'sm-model']);
    expect(list.slice(0, 3).map((c) => c.choices[0]?.delta?.content)).toEqual(['', 'Grüße', ' aus Köln']);
    // Estimated: the rendered prompt "System: Be brief.\n\nUser: Hi ✓\n\nAssistant:" (41 chars) and 14 characters of output.
    expect(list[3]).toMatchObject({ choices: [], usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } });
  });

  it('keeps the container’s own usage chunk and adds none', () => {
    const withUsage = OPENAI_SSE.replace('data: [DONE]', 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"x","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}\n\ndata: [DONE]');
    const list = chunks(run(openAISseTranslator(chatRequest({ stream_options: { include_usage: true } }), metaFor('chat', 'r', 'm', 0)), withUsage));
    expect(list.filter((c) => c.usage)).toEqual([expect.objectContaining({ usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } })]);
  });

  it('gives the same output at every cut, and adds [DONE] when the container sent none', () => {
    const whole = run(openAISseTranslator(chatRequest(), metaFor('chat', 'r', 'm', 0)), OPENAI_SSE);
    for (let cut = 1; cut < encode(OPENAI_SSE).length; cut += 3) {
      expect(run(openAISseTranslator(chatRequest(), metaFor('chat', 'r', 'm', 0)), OPENAI_SSE, [cut])).toBe(whole);
    }
    const bareLines = OPENAI_SSE.replace('data: [DONE]\n', '').split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    expect(run(openAISseTranslator(chatRequest(), metaFor('chat', 'r', 'm', 0)), bareLines)).toBe(whole);
  });

  it('throws on an error event written into the stream', () => {
    const translator = openAISseTranslator(chatRequest(), metaFor('chat', 'r', 'm', 0));
    expect(() => translator.push(encode('event: error\ndata: {"error":{"message":"engine died","code":500}}\n\n'))).toThrow(/engine died/);
  });
});

describe('whole answers (InvokeEndpoint) → OpenAI JSON', () => {
  const nonStream = (route: 'chat/completions' | 'completions', extra: Record<string, unknown> = {}) =>
    readRequest(route, JSON.stringify({ model: 'm', ...(route === 'completions' ? { prompt: 'abcdefgh' } : { messages: [{ role: 'user', content: 'abcd' }] }), ...extra }));

  it('builds a chat completion from LMI’s generated_text and details', () => {
    const body = JSON.parse(openAIBody('json-lines', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 1_000_000), encode('{"generated_text":"Hi there","details":{"finish_reason":"eos_token","generated_tokens":2,"prompt_tokens":6}}')));
    expect(body).toEqual({
      id: 'chatcmpl-r',
      object: 'chat.completion',
      created: 1000,
      model: 'sm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there' }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 6, completion_tokens: 2, total_tokens: 8 },
    });
  });

  it('reads TGI’s one-element list and estimates usage without details', () => {
    const body = JSON.parse(openAIBody('json-lines', nonStream('completions'), metaFor('completion', 'r', 'sm', 0), encode('[{"generated_text":"twelve chars"}]')));
    expect(body).toMatchObject({ object: 'text_completion', choices: [{ text: 'twelve chars', finish_reason: 'stop' }], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } });
  });

  it('keeps an OpenAI-style body, with our model id, filling in usage only when missing', () => {
    const withUsage = '{"id":"x","object":"chat.completion","model":"/opt/ml/model","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}';
    expect(JSON.parse(openAIBody('openai-sse', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 0), encode(withUsage)))).toMatchObject({ id: 'x', model: 'sm', usage: { prompt_tokens: 3 } });
    const without = withUsage.replace(/,"usage":\{[^}]*\}/, '');
    expect(JSON.parse(openAIBody('openai-sse', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 0), encode(without))).usage).toEqual({ prompt_tokens: 6, completion_tokens: 1, total_tokens: 7 });
  });

  it('answers 502 for a body of the wrong style', () => {
    expect(() => openAIBody('openai-sse', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 0), encode('{"generated_text":"x"}'))).toThrow(GatewayError);
    expect(() => openAIBody('json-lines', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 0), encode('{"choices":[]}'))).toThrow(expect.objectContaining({ detail: expect.stringMatching(/generated_text/) }));
    expect(() => openAIBody('json-lines', nonStream('chat/completions'), metaFor('chat', 'r', 'sm', 0), encode('<html>'))).toThrow(expect.objectContaining({ detail: expect.stringMatching(/not JSON/) }));
  });
});

describe('OpenAI requests → LMI’s {inputs, parameters}', () => {
  it('maps sampling fields, asks for details, and renders chat as a role-labelled transcript', () => {
    const request = chatRequest({ max_completion_tokens: 9, temperature: 0.7, top_p: 0.9, top_k: 5, seed: 3, stop: 'END', repetition_penalty: 1.1, logit_bias: null });
    expect(JSON.parse(lmiRequest(request))).toEqual({
      inputs: 'System: Be brief.\n\nUser: Hi ✓\n\nAssistant:',
      parameters: { details: true, max_new_tokens: 9, temperature: 0.7, top_p: 0.9, top_k: 5, seed: 3, repetition_penalty: 1.1, do_sample: true, stop_sequences: ['END'] },
      stream: true,
    });
    expect(JSON.parse(lmiRequest(completionRequest({ stream: false, temperature: 0, stop: ['a', 'b'] })))).toEqual({
      inputs: 'Once upon a time',
      parameters: { details: true, max_new_tokens: 3, temperature: 0, do_sample: false, stop_sequences: ['a', 'b'] },
      stream: false,
    });
  });

  it('joins text parts, and refuses what a text prompt cannot carry', () => {
    expect(chatPrompt([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }], true)).toBe('User: ab\n\nAssistant:');
    const image = chatRequest({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }] });
    expect(() => lmiRequest(image)).toThrow(/text-only/);
    expect(() => lmiRequest(completionRequest({ prompt: [1, 2, 3] }))).toThrow(/token ids/);
    expect(() => lmiRequest(completionRequest({ n: 2 }))).toThrow(/n must be 1/);
  });

  it('reads what the backend needs from the client’s body', () => {
    expect(completionRequest({ stream_options: { include_usage: true } })).toMatchObject({ kind: 'completion', stream: true, includeUsage: true, promptTokens: 4 });
    expect(readRequest('completions', '{"prompt":[1,2,3],"stream":false,"stream_options":{"include_usage":true}}')).toMatchObject({ stream: false, includeUsage: false, promptTokens: 3 });
    // A text-only estimate ignores an image part rather than failing an openai-sse request.
    expect(chatRequest({ messages: [{ role: 'user', content: [{ type: 'image_url' }, { type: 'text', text: 'hi' }] }] }).prompt).toBe('User: hi\n\nAssistant:');
  });
});
