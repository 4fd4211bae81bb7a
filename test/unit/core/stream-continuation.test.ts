// The continuing reader on its own: upstream legs are scripted readers, the forwarder a function,
// so every way a leg can end is played out and the bytes the client would get are checked.
import { describe, expect, it, vi } from 'vitest';
import type { PartialAnswer } from '../../../src/api/continuation-body.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import type { BodyReader, UpstreamResponse } from '../../../src/backends/transport.ts';
import type { Forwarded } from '../../../src/forward/forward.ts';
import { continuingStream, type StreamContinuation } from '../../../src/forward/stream-continuation.ts';
import { relaySse } from '../../../src/api/sse-relay.ts';
import type { Candidate } from '../../../src/route/types.ts';
import { candidatesOf, localFleet } from './fixtures.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const candidates = candidatesOf(localFleet());
/** Two candidates in different regions. */
const [A, B] = [candidates[0]!, candidates.find((c) => c.region.id !== candidates[0]!.region.id)!];

const chat = (id: string, content: string, finish: string | null = null) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":${id === 'first' ? 100 : 200},"model":"${id}-model","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;
const opening = (id: string) => `data: {"id":"${id}","object":"chat.completion.chunk","created":200,"model":"${id}-model","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n`;
const usage = (id: string, prompt: number, completion: number) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":200,"model":"${id}-model","choices":[],"usage":{"prompt_tokens":${prompt},"completion_tokens":${completion},"total_tokens":${prompt + completion}}}\n\n`;
const DONE = 'data: [DONE]\n\n';

/** A leg whose body is these chunks, then `end`: a clean end, a read that throws (the connection died), or silence until cancelled. */
function leg(candidate: Candidate, chunks: string[], end: 'done' | 'stall' | Error = 'done') {
  const bodyEnded = vi.fn<(ok: boolean) => void>();
  const done = vi.fn<() => void>();
  let i = 0;
  let wake: () => void = () => {};
  const reader: BodyReader = {
    read: async () => {
      if (i < chunks.length) return { done: false, value: encoder.encode(chunks[i++]!) };
      if (end instanceof Error) throw end;
      if (end === 'stall') await new Promise<void>((resolve) => (wake = resolve));
      return { done: true };
    },
    cancel: async () => wake(),
  };
  const response = { status: 200, header: () => 'text/event-stream', bytes: async () => new Uint8Array(0), reader: () => reader, discard: () => {} } satisfies UpstreamResponse;
  const forwarded: Forwarded = { response, candidate, attempts: [], done, bodyEnded };
  return { forwarded, bodyEnded, done };
}

function plan(next: Array<ReturnType<typeof leg>>, extra: Partial<StreamContinuation> = {}) {
  const bodies: PartialAnswer[] = [];
  const failedSeen: string[][] = [];
  const continuation: StreamContinuation = {
    route: 'chat',
    maxContinuations: 2,
    maxTextChars: 1000,
    body: (partial) => {
      bodies.push({ ...partial });
      return JSON.stringify(partial);
    },
    forward: async (_body, failed) => {
      failedSeen.push([...failed.endpoints]);
      const l = next.shift();
      if (!l) throw new Error('no endpoint is available');
      return l.forwarded;
    },
    ...extra,
  };
  return { continuation, bodies, failedSeen };
}

async function drain(reader: BodyReader): Promise<{ text: string; error?: unknown }> {
  let text = '';
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return { text };
      text += decoder.decode(r.value);
    }
  } catch (error) {
    return { text, error };
  }
}

describe('continuingStream', () => {
  it('relays a stream that ends well byte for byte, and reports nothing', async () => {
    const chunks = [chat('first', 'The'), chat('first', ' model'), chat('first', '.', 'stop'), usage('first', 9, 3), DONE];
    const first = leg(A, chunks);
    const { continuation } = plan([]);
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    expect((await drain(s.reader)).text).toBe(chunks.join(''));
    s.end(true);
    expect(first.bodyEnded).toHaveBeenCalledWith(true);
    expect(s.report({ completed: true })).toBeUndefined();
  });

  it('continues a cut stream on another endpoint as the same stream: no half event, same id, usage of both legs', async () => {
    const cut = chat('first', ' serves').slice(0, 30); // the connection died mid-event
    const first = leg(A, [chat('first', 'The'), chat('first', ' model') + cut], new Error('socket hang up'));
    const second = leg(B, [opening('second'), chat('second', ' serves'), chat('second', ' tokens', 'length'), usage('second', 11, 2), DONE]);
    const { continuation, bodies, failedSeen } = plan([second]);
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const { text, error } = await drain(s.reader);
    expect(error).toBeUndefined();
    expect(bodies).toEqual([{ text: 'The model', tokens: 2 }]);
    expect(failedSeen).toEqual([[A.endpoint.id]]);
    // The first leg counts as failed at once and stops counting in flight.
    expect(first.bodyEnded).toHaveBeenCalledWith(false);
    expect(first.done).toHaveBeenCalled();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as { id: string; created: number; model: string; choices: Array<{ delta: { content?: string } }>; usage?: unknown });
    expect(new Set(chunks.map((c) => `${c.id} ${c.created} ${c.model}`))).toEqual(new Set(['first 100 first-model']));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('The model serves tokens');
    // 11 prompt tokens upstream included the 2 already answered.
    expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 });
    s.end(true);
    expect(second.bodyEnded).toHaveBeenCalledWith(true);
    expect(s.report({ completed: true })).toEqual({ outcome: 'continued', continuations: 1 });
  });

  it('continues a leg that ended without [DONE] too, and again when the continuation is cut, up to the limit', async () => {
    const first = leg(A, [chat('first', 'a')]);
    const second = leg(B, [opening('second'), chat('second', ' b')]);
    const third = leg(A, [opening('third'), chat('third', ' c')]);
    const { continuation, bodies } = plan([second, third], { maxContinuations: 2 });
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const { text, error } = await drain(s.reader);
    expect(error).toBeUndefined(); // the relay reports the missing [DONE]
    expect(bodies).toEqual([
      { text: 'a', tokens: 1 },
      { text: 'a b', tokens: 2 },
    ]);
    expect(text).toContain('" c"');
    expect(text).not.toContain('third');
    s.end(false);
    expect(s.report({ completed: false, error: 'stream_truncated' })).toEqual({ outcome: 'failed', continuations: 2, detail: '2 continuations already' });
  });

  it('ends as before when no endpoint can continue: the held-back half event goes on, then the error', async () => {
    const died = new Error('ECONNRESET');
    const first = leg(A, [chat('first', 'The'), chat('first', ' x').slice(0, 20)], died);
    const { continuation } = plan([]);
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const { text, error } = await drain(s.reader);
    expect(error).toBe(died);
    expect(text).toBe(chat('first', 'The') + chat('first', ' x').slice(0, 20));
    s.end(false);
    expect(s.report({ completed: false, error: 'stream_truncated' })).toMatchObject({ outcome: 'failed', continuations: 0, detail: expect.stringMatching(/no endpoint continued it/) });
  });

  it('does not continue tool calls, and relays the rest untouched', async () => {
    const call = 'data: {"id":"first","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]},"finish_reason":null}]}\n\n';
    const first = leg(A, [chat('first', 'Let me check.'), call, 'data: {"id":"fi'], new Error('cut'));
    const forward = vi.fn();
    const { continuation } = plan([], { forward });
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const { text, error } = await drain(s.reader);
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe(chat('first', 'Let me check.') + call + 'data: {"id":"fi');
    expect(forward).not.toHaveBeenCalled();
    expect(s.report({ completed: false, error: 'stream_truncated' })).toMatchObject({ outcome: 'ineligible', detail: 'tool calls' });
  });

  it('passes a request that can never be continued through unparsed, chunk for chunk', async () => {
    const chunks = ['data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}},{"index":1,', '"delta":{"content":"b"}}]}\n\n'];
    const first = leg(A, chunks, new Error('cut'));
    const { continuation } = plan([], { blocker: 'n > 1' });
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const got: string[] = [];
    for (;;) {
      const r = await s.reader.read().catch(() => ({ done: true as const }));
      if (r.done) break;
      got.push(decoder.decode(r.value));
    }
    expect(got).toEqual(chunks);
    expect(s.report({ completed: false, error: 'stream_truncated' })).toEqual({ outcome: 'ineligible', continuations: 0, detail: 'n > 1' });
  });

  it('does not continue past the deadline, nor when the answer had already finished', async () => {
    const cancel = new CancelScope();
    cancel.cancel('deadline');
    const late = continuingStream(leg(A, [chat('first', 'a')], new Error('cut')).forwarded, plan([leg(B, [DONE])]).continuation, cancel);
    await drain(late.reader);
    expect(late.report({ completed: false, error: 'upstream_total_timeout' })).toMatchObject({ outcome: 'failed', detail: 'the total deadline passed' });

    const finished = continuingStream(leg(A, [chat('first', 'a', 'stop')], new Error('cut')).forwarded, plan([leg(B, [DONE])]).continuation, new CancelScope());
    await drain(finished.reader);
    expect(finished.report({ completed: false, error: 'stream_truncated' })).toMatchObject({ outcome: 'failed', detail: 'cut after its last token' });
  });

  it('counts tokens from vLLM running usage when chunks carry it, and text completions by their text', async () => {
    const text = (id: string, t: string, completion: number) => `data: {"id":"${id}","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(t)},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":5,"completion_tokens":${completion},"total_tokens":${5 + completion}}}\n\n`;
    const first = leg(A, [text('first', 'Once', 2), text('first', ' upon', 5)], new Error('cut'));
    const second = leg(B, [text('second', ' a', 1), DONE]);
    const { continuation, bodies } = plan([second], { route: 'completions' });
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const out = await drain(s.reader);
    expect(bodies).toEqual([{ text: 'Once upon', tokens: 5 }]);
    // The continuation's running usage: its prompt held the 5 tokens answered; they count as completion.
    expect(out.text).toContain('"usage":{"prompt_tokens":0,"completion_tokens":6,"total_tokens":6}');
  });

  it('through the SSE relay: the client gets one complete stream, the relay sees it complete', async () => {
    const first = leg(A, [chat('first', 'The')], new Error('reset'));
    const second = leg(B, [opening('second'), chat('second', ' end', 'stop'), DONE]);
    const s = continuingStream(first.forwarded, plan([second]).continuation, new CancelScope());
    const onEnd = vi.fn();
    const body = await new Response(relaySse(s.reader, { idleMs: 1000, onEnd })).text();
    expect(body).toBe(chat('first', 'The') + chat('first', ' end', 'stop') + DONE);
    expect(onEnd).toHaveBeenCalledWith(expect.objectContaining({ completed: true }));
  });

  it('through the relay: a leg silent for the idle time is continued elsewhere; with nowhere to go it ends as idle', async () => {
    const stalledFirst = leg(A, [chat('first', 'The')], 'stall');
    const second = leg(B, [opening('second'), chat('second', ' end', 'stop'), DONE]);
    const s = continuingStream(stalledFirst.forwarded, plan([second]).continuation, new CancelScope());
    const onEnd = vi.fn();
    const body = await new Response(relaySse(s.reader, { idleMs: 30, onEnd })).text();
    expect(body).toBe(chat('first', 'The') + chat('first', ' end', 'stop') + DONE);
    expect(stalledFirst.bodyEnded).toHaveBeenCalledWith(false);
    expect(onEnd).toHaveBeenCalledWith(expect.objectContaining({ completed: true }));
    expect(s.report({ completed: true })).toEqual({ outcome: 'continued', continuations: 1 });

    const alone = continuingStream(leg(A, [chat('first', 'The')], 'stall').forwarded, plan([]).continuation, new CancelScope());
    const ended = vi.fn();
    const text = await new Response(relaySse(alone.reader, { idleMs: 30, onEnd: ended })).text();
    expect(text).toMatch(/"code":"stream_idle_timeout"/);
    expect(ended).toHaveBeenCalledWith(expect.objectContaining({ completed: false, error: 'stream_idle_timeout' }));
  });
});
