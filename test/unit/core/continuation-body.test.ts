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

describe('continuationBlocker: streams that can never be continued', () => {
  it.each([
    ['chat', { n: 2 }, 'n > 1'],
    ['chat', { best_of: 3 }, 'best_of > 1'],
    ['chat', { use_beam_search: true }, 'beam search'],
    ['chat', { echo: true }, 'echo'],
    ['chat', { prompt_logprobs: 1 }, 'prompt_logprobs'],
    ['chat', { response_format: { type: 'json_schema', json_schema: {} } }, 'structured output'],
    ['chat', { response_format: { type: 'json_object' } }, 'structured output'],
    ['chat', { guided_json: {} }, 'structured output'],
    ['chat', { structured_outputs: { regex: 'a+' } }, 'structured output'],
    ['chat', { continue_final_message: true, messages: [{ role: 'assistant', content: [{ type: 'text', text: 'a' }] }] }, 'continuing a message that is not text'],
    ['completions', { prompt: [1, 2, 3] }, 'token-id or batched prompt'],
    ['completions', { prompt: ['a', 'b'] }, 'token-id or batched prompt'],
    ['completions', { prompt: 'a', logprobs: 2 }, 'logprobs on a text completion'],
  ] as const)('%s %j: %s', (route, fields, reason) => {
    expect(continuationBlocker(route, { model: 'm', messages: [], ...fields })).toBe(reason);
  });

  it.each([
    ['chat', { messages: [{ role: 'user', content: 'x' }], n: 1, logprobs: true, top_logprobs: 2, response_format: { type: 'text' }, tools: [] }],
    ['completions', { prompt: 'x', logprobs: null }],
    ['completions', { prompt: ['x'] }],
  ] as const)('%s %j can be continued', (route, fields) => {
    expect(continuationBlocker(route, { model: 'm', ...fields })).toBeUndefined();
  });
});
