import { describe, expect, it } from 'vitest';
import { continuationBlocker, continuationBody } from '../../../src/api/continuation-body.ts';

const parse = (body: string | undefined) => JSON.parse(body ?? 'null') as Record<string, unknown>;

describe('continuationBody: the request that continues a cut stream', () => {
  it('chat: the text so far as a final assistant message to continue, limits reduced, every other field kept', () => {
    const request = {
      model: 'auto',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 50,
      max_completion_tokens: 40,
      min_tokens: 10,
      temperature: 0.3,
      top_k: 5,
      logprobs: true,
      stream: true,
      stream_options: { continuous_usage_stats: true },
    };
    const body = parse(continuationBody('chat', request, 'llama-3.1-8b', { text: 'The model', tokens: 12 }));
    expect(body).toEqual({
      model: 'llama-3.1-8b',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'The model' },
      ],
      continue_final_message: true,
      add_generation_prompt: false,
      max_tokens: 38,
      max_completion_tokens: 28,
      min_tokens: 0,
      temperature: 0.3,
      top_k: 5,
      logprobs: true,
      stream: true,
      stream_options: { continuous_usage_stats: true, include_usage: true },
    });
    // The client's own body is not touched.
    expect(request.messages).toHaveLength(1);
  });

  it('chat: no limit asked stays unlimited (vLLM gives what the context has left, which the text so far shrinks)', () => {
    const body = parse(continuationBody('chat', { model: 'm', messages: [{ role: 'user', content: 'Hi' }] }, 'm', { text: 'A', tokens: 1 }));
    expect(body['max_tokens']).toBeUndefined();
    expect(body['stream_options']).toEqual({ include_usage: true });
  });

  it('chat: a client already continuing its own assistant message gets that message extended', () => {
    const messages = [
      { role: 'user', content: 'Write' },
      { role: 'assistant', content: 'Once upon', name: 'narrator' },
    ];
    const body = parse(continuationBody('chat', { model: 'm', messages, continue_final_message: true, add_generation_prompt: false }, 'm', { text: ' a time', tokens: 2 }));
    expect(body['messages']).toEqual([messages[0], { role: 'assistant', content: 'Once upon a time', name: 'narrator' }]);
  });

  it('completions: the prompt extended by the text so far; vLLM default of 16 tokens reduced when none was asked', () => {
    expect(parse(continuationBody('completions', { model: 'm', prompt: 'Say:' }, 'm', { text: ' The model', tokens: 2 }))).toMatchObject({ prompt: 'Say: The model', max_tokens: 14 });
    expect(parse(continuationBody('completions', { model: 'm', prompt: ['Say:'], max_tokens: 5 }, 'm', { text: ' A', tokens: 1 }))).toMatchObject({ prompt: 'Say: A', max_tokens: 4 });
  });

  it('nothing left to answer: no continuation', () => {
    expect(continuationBody('chat', { model: 'm', messages: [], max_tokens: 3 }, 'm', { text: 'a b c', tokens: 3 })).toBeUndefined();
    expect(continuationBody('completions', { model: 'm', prompt: 'x' }, 'm', { text: 'x', tokens: 16 })).toBeUndefined();
  });
});

describe('continuationBlocker: streams that can never be continued, each with why', () => {
  it.each([
    ['chat', { n: 1000 }, 'n > 128 or not an integer'],
    ['chat', { n: 1.5 }, 'n > 128 or not an integer'],
    ['chat', { best_of: 3 }, 'best_of > 1 (the answer is picked among candidates only at the end)'],
    ['chat', { use_beam_search: true }, 'beam search (beams are re-ranked until the end: the text so far may not start the answer)'],
    ['completions', { prompt: 'a', echo: true }, "echo (the answer starts with the prompt: the text so far is not all the model's own)"],
    ['chat', { prompt_logprobs: 1 }, "prompt_logprobs (a continuation's prompt holds the answer so far)"],
    ['chat', { response_format: { type: 'json_schema', json_schema: {} } }, 'structured output'],
    ['chat', { response_format: { type: 'json_object' } }, 'structured output'],
    ['chat', { guided_json: {} }, 'structured output'],
    ['chat', { structured_outputs: { regex: 'a+' } }, 'structured output'],
    ['chat', { continue_final_message: true, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'a' }] }] }, 'continuing a message that is not text'],
    ['completions', { prompt: [1, 2, 3] }, 'token-id or batched prompt'],
    ['completions', { prompt: ['a', 'b'] }, 'token-id or batched prompt'],
  ] as const)('%s %j: %s', (route, fields, reason) => {
    const blocker = continuationBlocker(route, { model: 'm', messages: [], ...fields });
    expect(blocker?.startsWith(reason)).toBe(true);
    // Every blocker says why, not only what.
    expect(blocker).toMatch(/\(.+\)$/);
  });

  it.each([
    ['chat', { messages: [{ role: 'user', content: 'x' }], n: 1, logprobs: true, top_logprobs: 2, response_format: { type: 'text' }, tools: [] }],
    ['chat', { messages: [{ role: 'user', content: 'x' }], n: 4, logprobs: true }],
    ['completions', { prompt: 'x', logprobs: null }],
    ['completions', { prompt: 'x', logprobs: 3, n: 2 }],
    ['completions', { prompt: ['x'] }],
  ] as const)('%s %j can be continued', (route, fields) => {
    expect(continuationBlocker(route, { model: 'm', ...fields })).toBeUndefined();
  });
});

describe('continuationBody for one choice of n > 1', () => {
  it('asks for that choice alone (n = 1), with its own text so far', () => {
    const request = { model: 'auto', messages: [{ role: 'user', content: 'Hi' }], n: 3, max_tokens: 20, logprobs: true, top_logprobs: 2 };
    const body = parse(continuationBody('chat', request, 'm', { text: 'The cache', tokens: 2 }));
    expect(body).toMatchObject({ n: 1, max_tokens: 18, logprobs: true, top_logprobs: 2, continue_final_message: true, add_generation_prompt: false });
    expect(body['messages']).toEqual([request.messages[0], { role: 'assistant', content: 'The cache' }]);
    const text = parse(continuationBody('completions', { model: 'm', prompt: 'Say:', n: 2, logprobs: 1 }, 'm', { text: ' A b', tokens: 2 }));
    expect(text).toMatchObject({ n: 1, prompt: 'Say: A b', max_tokens: 14, logprobs: 1 });
  });

  it('a choice with no text yet is asked afresh: vLLM cannot continue an empty final message', () => {
    const request = { model: 'auto', messages: [{ role: 'user', content: 'Hi' }], n: 2, max_tokens: 20 };
    const body = parse(continuationBody('chat', request, 'm', { text: '', tokens: 0 }));
    expect(body).toEqual({ model: 'm', messages: request.messages, n: 1, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    expect(parse(continuationBody('completions', { model: 'm', prompt: 'Say:' }, 'm', { text: '', tokens: 0 }))).toEqual({ model: 'm', prompt: 'Say:', stream: true, stream_options: { include_usage: true } });
  });
});
