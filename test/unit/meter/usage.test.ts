// Token usage read straight from answer bytes: only the last `"usage": {...}` object is decoded,
// whatever the route (chat, Responses, embeddings, rerank), and text that merely looks like a
// usage key inside a JSON string is never taken for one.
import { describe, expect, it } from 'vitest';
import { usageIn, usageOf } from '../../../src/meter/usage.ts';

const bytes = (s: string) => new TextEncoder().encode(s);

// A vLLM chat completion, as vLLM writes it (usage after the choices, prompt_tokens_details set).
const CHAT = JSON.stringify({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'llama-3.1-8b',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', tool_calls: [] }, logprobs: null, finish_reason: 'stop', stop_reason: null }],
  usage: { prompt_tokens: 21, total_tokens: 30, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 16 } },
  prompt_logprobs: null,
  kv_transfer_params: null,
});

describe('usageIn', () => {
  it('reads prompt, completion and cached tokens from a vLLM chat completion', () => {
    expect(usageIn(bytes(CHAT))).toEqual({ input: 21, output: 9, cached: 16 });
  });

  it('reads cached tokens as 0 when prompt_tokens_details is null', () => {
    const body = '{"id":"x","choices":[],"usage":{"prompt_tokens":5,"total_tokens":8,"completion_tokens":3,"prompt_tokens_details":null}}';
    expect(usageIn(bytes(body))).toEqual({ input: 5, output: 3, cached: 0 });
  });

  it('reads a Responses API body (input_tokens, output_tokens, input_tokens_details.cached_tokens)', () => {
    const body = JSON.stringify({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }],
      usage: { input_tokens: 40, input_tokens_details: { cached_tokens: 32 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 47 },
    });
    expect(usageIn(bytes(body))).toEqual({ input: 40, output: 7, cached: 32 });
  });

  it('reads embeddings usage (prompt_tokens only) with no output tokens', () => {
    const body = JSON.stringify({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }], model: 'e5', usage: { prompt_tokens: 8, total_tokens: 8 } });
    expect(usageIn(bytes(body))).toEqual({ input: 8, output: 0, cached: 0 });
  });

  it('reads rerank usage, which only has total_tokens, as input tokens', () => {
    const body = JSON.stringify({ id: 'rerank-1', model: 'bge', usage: { total_tokens: 12 }, results: [{ index: 0, relevance_score: 0.9, document: { text: 'a' } }] });
    expect(usageIn(bytes(body))).toEqual({ input: 12, output: 0, cached: 0 });
  });

  it('returns undefined for "usage": null', () => {
    expect(usageIn(bytes('{"id":"c","choices":[{"index":0}],"usage":null}'))).toBeUndefined();
  });

  it('skips a later "usage": null and finds an earlier usage object', () => {
    const body = '{"response":{"usage":{"input_tokens":3,"output_tokens":4}},"extra":{"usage": null}}';
    expect(usageIn(bytes(body))).toEqual({ input: 3, output: 4, cached: 0 });
  });

  it('accepts whitespace between the key, the colon and the object', () => {
    expect(usageIn(bytes('{"choices":[],\n  "usage" : {"prompt_tokens": 4, "completion_tokens": 2}\n}'))).toEqual({ input: 4, output: 2, cached: 0 });
    expect(usageIn(bytes('{"usage"\t:\r\n{"prompt_tokens":1}}'))).toEqual({ input: 1, output: 0, cached: 0 });
  });

  it('does not take escaped usage text inside a string for the usage key', () => {
    const content = 'Reply with "usage":{"prompt_tokens":999,"completion_tokens":999}';
    // The escaped lookalike comes after the real usage object, so a naive "last match" would pick it.
    const body = `{"usage":{"prompt_tokens":3,"completion_tokens":2},"choices":[{"message":{"content":${JSON.stringify(content)}}}]}`;
    expect(body).toContain('\\"usage\\":{\\"prompt_tokens\\":999');
    expect(usageIn(bytes(body))).toEqual({ input: 3, output: 2, cached: 0 });
  });

  it('returns undefined when the only usage lookalike is inside a string', () => {
    const body = JSON.stringify({ choices: [{ message: { content: '"usage":{"prompt_tokens":999}' } }] });
    expect(usageIn(bytes(body))).toBeUndefined();
  });

  it('ignores braces and quotes inside strings of the usage object itself', () => {
    const body = '{"usage":{"note":"a } and a \\" and {","prompt_tokens":6,"completion_tokens":1}}';
    expect(usageIn(bytes(body))).toEqual({ input: 6, output: 1, cached: 0 });
  });

  it('returns undefined for a truncated usage object', () => {
    const cut = CHAT.slice(0, CHAT.indexOf('"completion_tokens"'));
    expect(usageIn(bytes(cut))).toBeUndefined();
  });

  it('returns undefined when there is no usage at all', () => {
    expect(usageIn(bytes('{"id":"c","choices":[{"index":0,"message":{"content":"usage"}}]}'))).toBeUndefined();
    expect(usageIn(bytes(''))).toBeUndefined();
    expect(usageIn(bytes('"usage"'))).toBeUndefined();
  });

  it('returns undefined for a usage object without token counts', () => {
    expect(usageIn(bytes('{"usage":{"cost":1}}'))).toBeUndefined();
  });

  it('respects the end bound: a usage object ending after it is not read', () => {
    const first = '{"usage":{"prompt_tokens":1,"completion_tokens":1}}';
    const second = '{"usage":{"prompt_tokens":2,"completion_tokens":2}}';
    const all = bytes(first + second);
    expect(usageIn(all)).toEqual({ input: 2, output: 2, cached: 0 });
    expect(usageIn(all, 0, first.length)).toEqual({ input: 1, output: 1, cached: 0 });
    // The second key lies wholly inside the range but its object is cut by the end: not read.
    expect(usageIn(all, 0, first.length + second.length - 2)).toBeUndefined();
  });

  it('respects the start bound: a usage key before it is not read', () => {
    const first = '{"usage":{"prompt_tokens":1,"completion_tokens":1}}';
    const second = '{"choices":[]}';
    const all = bytes(first + second);
    expect(usageIn(all, 0)).toEqual({ input: 1, output: 1, cached: 0 });
    expect(usageIn(all, first.length)).toBeUndefined();
    // The key starts at index 1: a start there still sees it, one byte later does not.
    expect(usageIn(all, 1)).toEqual({ input: 1, output: 1, cached: 0 });
    expect(usageIn(all, 2)).toBeUndefined();
  });

  it('reads a usage object inside a window of a larger buffer', () => {
    const a = 'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\n';
    const b = 'data: {"choices":[],"usage":{"prompt_tokens":70,"completion_tokens":30}}\n\n';
    const all = bytes(a + b);
    expect(usageIn(all, a.length, a.length + b.length)).toEqual({ input: 70, output: 30, cached: 0 });
    expect(usageIn(all, 0, a.length)).toEqual({ input: 7, output: 3, cached: 0 });
  });
});

describe('usageOf', () => {
  it('prefers prompt_tokens, then input_tokens, then total_tokens', () => {
    expect(usageOf({ prompt_tokens: 1, input_tokens: 2, total_tokens: 3 })?.input).toBe(1);
    expect(usageOf({ input_tokens: 2, total_tokens: 3 })?.input).toBe(2);
    expect(usageOf({ total_tokens: 3 })?.input).toBe(3);
  });

  it('treats negative or non-numeric counts as 0', () => {
    expect(usageOf({ prompt_tokens: -5, completion_tokens: 'x', prompt_tokens_details: { cached_tokens: Number.NaN } })).toEqual({ input: 0, output: 0, cached: 0 });
  });

  it('returns undefined for anything but an object with a token count', () => {
    expect(usageOf(null)).toBeUndefined();
    expect(usageOf(3)).toBeUndefined();
    expect(usageOf({})).toBeUndefined();
  });
});
