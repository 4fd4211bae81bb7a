// The canonical entry: a streamed answer put back together as the completion object, and any
// completion object replayed as a well-formed SSE stream, for chat and text completions.
import { describe, expect, it } from 'vitest';
import { completionBody, streamFrames, usageOf, SSE_DONE } from '../../../infra/local/sim/response-bodies.ts';
import { assembleJson, assembleSse } from '../../../src/cache/assemble.ts';
import { replaySse } from '../../../src/cache/replay.ts';

const META = { id: 'chatcmpl-abc', created: 1_767_225_600, model: 'llama-3.1-8b' };
const USAGE = usageOf(12, 3, 0);
const PIECES = ['Rail', 'yards', ' sort.'];

/** The simulator's own SSE framing (vLLM's, field for field). */
function simStream(kind: 'chat' | 'completion', includeUsage: boolean): string {
  const frames = streamFrames(kind, META);
  let out = frames.start();
  PIECES.forEach((p, i) => (out += frames.token(p, i === PIECES.length - 1 ? 'stop' : null)));
  if (includeUsage) out += frames.usage(USAGE);
  return out + SSE_DONE;
}

type Json = Record<string, unknown>;
const parse = (body: string | undefined): Json => JSON.parse(body ?? 'null') as Json;
/** A value inside parsed JSON by path (undefined where the path leads nowhere). */
const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[k] : undefined), value);

/** The SSE events of a stream: every one a `data:` line of JSON, the last `[DONE]`. */
function events(sse: string): { chunks: Json[]; done: boolean } {
  const blocks = sse.split('\n\n').filter((b) => b !== '');
  for (const b of blocks) expect(b).toMatch(/^data: /);
  const done = blocks.at(-1) === 'data: [DONE]';
  return { chunks: blocks.slice(0, done ? -1 : undefined).map((b) => JSON.parse(b.slice(6)) as Json), done };
}

describe('assembling a streamed answer', () => {
  it('gives the chat.completion a non-streamed request would have received', () => {
    const assembled = assembleSse(simStream('chat', true), 'chat');
    expect(assembled?.usage).toBe(true);
    const body = parse(assembled?.body);
    const direct = parse(completionBody('chat', META, PIECES.join(''), 'stop', USAGE));
    expect(body).toMatchObject({ id: direct['id'], object: 'chat.completion', created: direct['created'], model: direct['model'], usage: direct['usage'] });
    expect(body['choices']).toEqual([{ index: 0, message: { role: 'assistant', content: 'Railyards sort.' }, logprobs: null, finish_reason: 'stop' }]);
  });

  it('gives the text_completion for /v1/completions', () => {
    const body = parse(assembleSse(simStream('completion', true), 'completions')?.body);
    expect(body['object']).toBe('text_completion');
    expect(body['choices']).toEqual([{ index: 0, text: 'Railyards sort.', logprobs: null, finish_reason: 'stop', stop_reason: null }].map(({ stop_reason: _, ...c }) => c));
  });

  it('says when the stream carried no usage (stream_options.include_usage was not asked)', () => {
    const assembled = assembleSse(simStream('chat', false), 'chat');
    expect(assembled?.usage).toBe(false);
    expect(parse(assembled?.body)['usage']).toBeUndefined();
  });

  it('puts tool calls streamed in pieces back together, by index', () => {
    const head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":';
    const sse = [
      `${head}{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_","arguments":""}}]},"finish_reason":null}]}`,
      `${head}{"tool_calls":[{"index":0,"function":{"name":"weather","arguments":"{\\"city\\":"}}]},"finish_reason":null}]}`,
      `${head}{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"now","arguments":"{}"}}]},"finish_reason":null}]}`,
      `${head}{"tool_calls":[{"index":0,"function":{"arguments":"\\"Oslo\\"}"}}]},"finish_reason":"tool_calls"}]}`,
      '[DONE]',
    ]
      .map((e) => `data: ${e}\n\n`)
      .join('');
    const message = at(parse(assembleSse(sse, 'chat')?.body), 'choices', 0, 'message');
    expect(message).toEqual({
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
        { id: 'call_2', type: 'function', function: { name: 'now', arguments: '{}' } },
      ],
    });
  });

  it('keeps the choices of n > 1 apart, interleaved as vLLM sends them', () => {
    const chunk = (index: number, content: string, finish: string | null) =>
      `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":${index},"delta":{"content":"${content}"},"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`;
    const sse = chunk(0, 'a', null) + chunk(1, 'x', null) + chunk(1, 'y', 'length') + chunk(0, 'b', 'stop') + 'data: [DONE]\n\n';
    const choices = parse(assembleSse(sse, 'chat')?.body)['choices'] as Json[];
    expect(choices.map((c) => [c['index'], at(c, 'message', 'content'), c['finish_reason']])).toEqual([
      [0, 'ab', 'stop'],
      [1, 'xy', 'length'],
    ]);
  });

  it.each<[string, string]>([
    ['a stream cut before [DONE]', simStream('chat', true).replace(SSE_DONE, '')],
    ['a stream cut mid-event', simStream('chat', true).slice(0, 200)],
    ['an SSE error event', simStream('chat', false).replace(SSE_DONE, 'event: error\ndata: {"error":{"message":"x"}}\n\n' + SSE_DONE)],
    ['an error payload from vLLM', simStream('chat', false).replace(SSE_DONE, 'data: {"error":{"message":"boom","code":500}}\n\n' + SSE_DONE)],
    ['a choice that never finished', 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\ndata: [DONE]\n\n'],
    ['an aborted choice', 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"abort"}]}\n\ndata: [DONE]\n\n'],
    ['logprobs it would have to drop', 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"a"},"logprobs":{"content":[]},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'],
    ['a structured delta field it does not know', 'data: {"id":"c","choices":[{"index":0,"delta":{"audio":{"id":"x"}},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'],
    ['no choices at all', 'data: [DONE]\n\n'],
    ['text that is not JSON', 'data: {"id":\n\ndata: [DONE]\n\n'],
  ])('refuses %s (never stored)', (_what, sse) => {
    expect(assembleSse(sse, 'chat')).toBeUndefined();
  });

  it('accepts a non-streamed answer as sent, and refuses an incomplete or failed one', () => {
    const body = completionBody('chat', META, 'Hi', 'stop', USAGE);
    expect(assembleJson(body)).toEqual({ body, usage: true });
    expect(assembleJson('{"error":{"message":"x"}}')).toBeUndefined();
    expect(assembleJson('{"choices":[]}')).toBeUndefined();
    expect(assembleJson('{"choices":[{"index":0,"finish_reason":null}]}')).toBeUndefined();
    expect(assembleJson('not json')).toBeUndefined();
  });
});

describe('replaying an entry as a stream', () => {
  it('emits role, content and finish chunks, the usage chunk when asked, then [DONE]', () => {
    const sse = replaySse(completionBody('chat', META, 'Railyards sort.', 'stop', USAGE), 'chat', true);
    const { chunks, done } = events(sse);
    expect(done).toBe(true);
    expect(chunks.every((c) => c['id'] === META.id && c['object'] === 'chat.completion.chunk' && c['model'] === META.model)).toBe(true);
    expect(chunks.map((c) => at(c, 'choices', 0, 'delta'))).toEqual([{ role: 'assistant', content: '' }, { content: 'Railyards sort.' }, {}, undefined]);
    expect(chunks.map((c) => at(c, 'choices', 0, 'finish_reason') ?? null)).toEqual([null, null, 'stop', null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: USAGE });
  });

  it('leaves the usage chunk out unless stream_options.include_usage was asked', () => {
    const { chunks } = events(replaySse(completionBody('chat', META, 'x', 'stop', USAGE), 'chat', false));
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it.each<['chat' | 'completions', string]>([
    ['chat', simStream('chat', true)],
    ['completions', simStream('completion', true)],
  ])('round-trips (%s): stream → entry → stream → entry gives the same entry', (kind, sse) => {
    const entry = assembleSse(sse, kind)?.body;
    expect(entry).toBeDefined();
    expect(assembleSse(replaySse(entry ?? '', kind, true), kind)?.body).toBe(entry);
  });

  it('round-trips tool calls and n > 1 from a non-streamed answer', () => {
    const body = JSON.stringify({
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'm',
      choices: [
        { index: 0, message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] }, logprobs: null, finish_reason: 'tool_calls' },
        { index: 1, message: { role: 'assistant', content: 'plain', reasoning_content: 'why' }, logprobs: null, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    });
    const again = parse(assembleSse(replaySse(body, 'chat', true), 'chat')?.body);
    expect(again['choices']).toEqual(parse(body)['choices']);
    expect(again['usage']).toEqual(parse(body)['usage']);
  });
});
