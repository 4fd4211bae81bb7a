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
    expect(s.report({ completed: false, error: 'stream_truncated' })).toMatchObject({ outcome: 'ineligible', detail: expect.stringMatching(/^tool calls \(vLLM cannot continue partial tool-call arguments\)/) });
  });

  it('passes a request that can never be continued through unparsed, chunk for chunk', async () => {
    const chunks = ['data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}},{"index":1,', '"delta":{"content":"b"}}]}\n\n'];
    const first = leg(A, chunks, new Error('cut'));
    const { continuation } = plan([], { blocker: 'echo' });
    const s = continuingStream(first.forwarded, continuation, new CancelScope());
    const got: string[] = [];
    for (;;) {
      const r = await s.reader.read().catch(() => ({ done: true as const }));
      if (r.done) break;
      got.push(decoder.decode(r.value));
    }
    expect(got).toEqual(chunks);
    expect(s.report({ completed: false, error: 'stream_truncated' })).toEqual({ outcome: 'ineligible', continuations: 0, detail: 'echo' });
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

  it('relays an in-stream error object of a continuation as it came (nothing is added to it)', async () => {
    const error = 'data: {"error":{"object":"error","message":"engine died","type":"InternalServerError","code":500}}\n\n';
    const first = leg(A, [chat('first', 'The')], new Error('cut'));
    const second = leg(B, [opening('second'), chat('second', ' x'), error, DONE]);
    const s = continuingStream(first.forwarded, plan([second]).continuation, new CancelScope());
    const { text } = await drain(s.reader);
    expect(text).toContain(error);
    expect(text.endsWith(DONE)).toBe(true);
  });

  describe('n > 1: every unfinished choice continued on its own', () => {
    /** A chat chunk of choice `index`. */
    const of = (id: string, index: number, delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: id === 'first' ? 100 : 200, model: `${id}-model`, choices: [{ index, delta, logprobs: null, finish_reason: finish }] })}\n\n`;

    type Chunk = { id: string; choices: Array<{ index: number; delta: { content?: string; role?: string }; finish_reason: string | null }>; usage?: Record<string, number> };
    const eventsOf = (text: string) => text.split('\n\n').filter(Boolean);
    const chunksOf = (text: string) => eventsOf(text).filter((e) => e !== 'data: [DONE]').map((e) => JSON.parse(e.slice('data: '.length)) as Chunk);
    const answers = (chunks: Chunk[]) => {
      const by = new Map<number, string>();
      for (const c of chunks) for (const ch of c.choices) by.set(ch.index, (by.get(ch.index) ?? '') + (ch.delta.content ?? ''));
      return Object.fromEntries(by);
    };

    it('continues each unfinished choice in turn under its own index; finished ones stay; one usage chunk and one [DONE] at the end', async () => {
      const first = leg(A, [
        of('first', 0, { role: 'assistant', content: '' }),
        of('first', 1, { role: 'assistant', content: '' }),
        of('first', 2, { role: 'assistant', content: '' }),
        of('first', 0, { content: 'The' }),
        of('first', 1, { content: 'Cache' }),
        of('first', 2, { content: 'Edge' }),
        of('first', 1, { content: ' warm.' }, 'stop'),
        of('first', 0, { content: ' model' }),
      ], new Error('socket hang up'));
      // Each continuation answers one choice (n = 1, index 0), with its own opening and usage.
      const second = leg(B, [opening('second'), chat('second', ' serves'), chat('second', ' tokens', 'length'), usage('second', 12, 2), DONE]);
      const third = leg(A, [opening('third'), chat('third', ' gateway', 'stop'), usage('third', 11, 1), DONE]);
      const { continuation, bodies } = plan([second, third], { choices: 3 });
      const s = continuingStream(first.forwarded, continuation, new CancelScope());
      const { text, error } = await drain(s.reader);
      expect(error).toBeUndefined();
      expect(bodies).toEqual([
        { text: 'The model', tokens: 2 },
        { text: 'Edge', tokens: 1 },
      ]);
      const events = eventsOf(text);
      expect(events.filter((e) => e === 'data: [DONE]')).toHaveLength(1);
      expect(events.at(-1)).toBe('data: [DONE]');
      const chunks = chunksOf(text);
      expect(answers(chunks)).toEqual({ 0: 'The model serves tokens', 1: 'Cache warm.', 2: 'Edge gateway' });
      // No second opening for a choice the client had opened; every chunk under the first leg's id.
      expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(3);
      expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['first']));
      expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['stop', 'length', 'stop']);
      // One usage chunk, last: the prompt once (12 - the 2 tokens re-sent), every choice's tokens (4 + 2 + 2).
      const withUsage = chunks.filter((c) => c.usage !== undefined);
      expect(withUsage).toHaveLength(1);
      expect(chunks.at(-1)!.usage).toEqual({ prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 });
      s.end(true);
      expect(second.bodyEnded).toHaveBeenCalledWith(true);
      expect(third.bodyEnded).toHaveBeenCalledWith(true);
      expect(s.report({ completed: true })).toEqual({ outcome: 'continued', continuations: 2 });
    });

    it('a continuation of one choice cut in turn is continued again, from all that choice has said', async () => {
      const first = leg(A, [of('first', 0, { content: 'A' }), of('first', 1, { content: 'B' })], new Error('cut'));
      const second = leg(B, [opening('second'), chat('second', ' a'), chat('second', ' z', 'stop'), usage('second', 6, 2), DONE]);
      const third = leg(A, [opening('third'), chat('third', ' b')], new Error('cut again'));
      const fourth = leg(B, [opening('fourth'), chat('fourth', ' c', 'stop'), usage('fourth', 8, 1), DONE]);
      const { continuation, bodies, failedSeen } = plan([second, third, fourth], { choices: 2 });
      const s = continuingStream(first.forwarded, continuation, new CancelScope());
      const { text, error } = await drain(s.reader);
      expect(error).toBeUndefined();
      expect(bodies).toEqual([
        { text: 'A', tokens: 1 },
        { text: 'B', tokens: 1 },
        { text: 'B b', tokens: 2 },
      ]);
      expect(failedSeen.at(-1)).toEqual(expect.arrayContaining([A.endpoint.id]));
      expect(answers(chunksOf(text))).toEqual({ 0: 'A a z', 1: 'B b c' });
      expect(third.bodyEnded).toHaveBeenCalledWith(false);
      expect(chunksOf(text).at(-1)!.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });
    });

    it('a choice the cut found without text is asked afresh, and its opening relayed if the client had none', async () => {
      const first = leg(A, [of('first', 0, { role: 'assistant', content: '' }), of('first', 0, { content: 'Hi' }, 'stop')], new Error('cut'));
      const second = leg(B, [opening('second'), chat('second', 'Yo', 'stop'), DONE]);
      const { continuation, bodies } = plan([second], { choices: 2 });
      const s = continuingStream(first.forwarded, continuation, new CancelScope());
      const { text } = await drain(s.reader);
      expect(bodies).toEqual([{ text: '', tokens: 0 }]);
      const chunks = chunksOf(text);
      expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined).map((c) => c.choices[0]!.index)).toEqual([0, 1]);
      expect(answers(chunks)).toEqual({ 0: 'Hi', 1: 'Yo' });
    });

    it('a choice index beyond n makes the stream ineligible (nothing is guessed)', async () => {
      const first = leg(A, [of('first', 0, { content: 'A' }), of('first', 5, { content: 'B' })], new Error('cut'));
      const forward = vi.fn();
      const s = continuingStream(first.forwarded, plan([], { choices: 2, forward }).continuation, new CancelScope());
      await drain(s.reader);
      expect(forward).not.toHaveBeenCalled();
      expect(s.report({ completed: false, error: 'stream_truncated' })).toMatchObject({ outcome: 'ineligible', detail: 'a choice index out of range (5)' });
    });
  });

  describe('logprobs across a continuation', () => {
    type TextChunk = { choices: Array<{ index: number; text: string; logprobs: { tokens: string[]; text_offset: number[]; token_logprobs: number[]; top_logprobs: Array<Record<string, number>> } | null }>; usage?: unknown };
    /** A text-completion chunk with vLLM's logprobs: offsets count from `from`, the characters its leg had streamed for this choice. */
    const piece = (id: string, index: number, tokens: string[], from: number, finish: string | null = null) => {
      const text_offset: number[] = [];
      let at = from;
      for (const t of tokens) {
        text_offset.push(at);
        at += [...t].length;
      }
      const logprobs = { text_offset, token_logprobs: tokens.map(() => -0.5), tokens, top_logprobs: tokens.map((t) => ({ [t]: -0.5 })) };
      return `data: ${JSON.stringify({ id, object: 'text_completion', created: 1, model: 'm', choices: [{ index, text: tokens.join(''), logprobs, finish_reason: finish, stop_reason: null }] })}\n\n`;
    };

    it('text completions: the continuation’s text_offset shifted by the characters already streamed (code points), tokens relayed as they come', async () => {
      // Choice 0 streamed "Sa 🙂" (4 code points, 5 UTF-16 units) in 3 tokens, then the leg died.
      const first = leg(A, [piece('first', 0, ['Sa', ' '], 0), piece('first', 1, ['Ok'], 0), piece('first', 0, ['🙂'], 3), piece('first', 1, ['.'], 2, 'stop')], new Error('cut'));
      // The continuation counts its own offsets from 0, as vLLM does.
      const second = leg(B, [piece('second', 0, [' go', ' on'], 0), piece('second', 0, ['!'], 6, 'stop'), DONE]);
      const { continuation, bodies } = plan([second], { route: 'completions', choices: 2 });
      const s = continuingStream(first.forwarded, continuation, new CancelScope());
      const { text, error } = await drain(s.reader);
      expect(error).toBeUndefined();
      // Tokens counted exactly from the logprobs (3, not 2 chunks).
      expect(bodies).toEqual([{ text: 'Sa 🙂', tokens: 3 }]);
      const chunks = text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as TextChunk);
      for (const index of [0, 1]) {
        const mine = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
        const whole = mine.map((ch) => ch.text).join('');
        const tokens = mine.flatMap((ch) => ch.logprobs!.tokens);
        const offsets = mine.flatMap((ch) => ch.logprobs!.text_offset);
        // The concatenated tokens are the text; each offset is where its token starts in it.
        expect(tokens.join('')).toBe(whole);
        const points = [...whole];
        let at = 0;
        for (const [i, token] of tokens.entries()) {
          expect(offsets[i]).toBe(at);
          expect(points.slice(at, at + [...token].length).join('')).toBe(token);
          at += [...token].length;
        }
        expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      }
      expect(chunks.flatMap((c) => c.choices.filter((ch) => ch.index === 0)).map((ch) => ch.text).join('')).toBe('Sa 🙂 go on!');
      expect(chunks.flatMap((c) => c.choices.filter((ch) => ch.index === 0)).flatMap((ch) => ch.logprobs!.text_offset)).toEqual([0, 2, 3, 4, 7, 10]);
    });

    it('chat: each token’s logprob comes from the leg that sampled it, relayed untouched; tokens counted from them', async () => {
      const lp = (id: string, tokens: string[], finish: string | null = null) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: tokens.join('') }, logprobs: { content: tokens.map((t) => ({ token: t, logprob: id === 'first' ? -1 : -2, bytes: [...new TextEncoder().encode(t)], top_logprobs: [] })) }, finish_reason: finish }] })}\n\n`;
      const first = leg(A, [lp('first', ['The', ' mod']), lp('first', ['el'])], new Error('cut'));
      const second = leg(B, [opening('second'), lp('second', [' serves']), lp('second', [' all'], 'stop'), DONE]);
      const { continuation, bodies } = plan([second]);
      const s = continuingStream(first.forwarded, continuation, new CancelScope());
      const { text } = await drain(s.reader);
      expect(bodies).toEqual([{ text: 'The model', tokens: 3 }]);
      const chunks = text.split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as { choices: Array<{ delta: { content?: string }; logprobs: { content: Array<{ token: string; logprob: number }> } | null }> });
      const entries = chunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
      expect(entries.map((e) => e.token).join('')).toBe(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''));
      expect(entries.map((e) => e.logprob)).toEqual([-1, -1, -1, -2, -2]);
    });
  });
});
