// Streams metered as they pass: the usage the upstream reports is read from the SSE bytes, and
// with `strip` the usage-only chunk the gateway asked for (the client did not) is cut out whole,
// however the upstream happened to split its events into chunks.
import { describe, expect, it } from 'vitest';
import type { BodyReader } from '../../../src/backends/transport.ts';
import { chunkReader, concat as join } from '../../support/upstream.ts';
import { meteredStream } from '../../../src/meter/stream-usage.ts';
import type { TokenUsage } from '../../../src/meter/usage.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (s: string) => encoder.encode(s);

interface Metered {
  chunks: Uint8Array[];
  usages: TokenUsage[];
  firstBytes: number;
}

async function drain(reader: BodyReader): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = await reader.read();
    if (r.done) return out;
    out.push(r.value);
  }
  throw new Error('the stream did not end');
}

async function meter(chunks: readonly Uint8Array[], strip: boolean): Promise<Metered> {
  const usages: TokenUsage[] = [];
  let firstBytes = 0;
  const reader = meteredStream(chunkReader(chunks), { strip, onUsage: (u) => usages.push(u), onFirstBytes: () => firstBytes++ });
  return { chunks: await drain(reader), usages, firstBytes };
}

/** The whole stream split into two chunks at `at`. */
const splitAt = (all: Uint8Array, at: number) => [all.slice(0, at), all.slice(at)];

// A chat stream as vLLM sends it with include_usage: multi-byte text (so splits cut characters),
// a delta that talks about "usage" (escaped inside its string), then the usage-only chunk.
const ROLE = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}\n\n';
const TEXT = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"h\u00e9llo \u65e5\u672c \ud83d\ude80"},"logprobs":null,"finish_reason":null}]}\n\n';
const TRICKY = `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify('the "usage":{"prompt_tokens":999} and "choices":[] text')}},"logprobs":null,"finish_reason":null}]}\n\n`;
const STOP = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":""},"logprobs":null,"finish_reason":"stop","stop_reason":null}]}\n\n';
const USAGE_EVENT = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":12,"total_tokens":19,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":4}}}\n\n';
const DONE = 'data: [DONE]\n\n';
const USAGE: TokenUsage = { input: 12, output: 7, cached: 4 };

const STREAM = [ROLE, TEXT, TRICKY, STOP, USAGE_EVENT, DONE].join('');
const WITHOUT_USAGE = [ROLE, TEXT, TRICKY, STOP, DONE].join('');

const crlf = (s: string) => s.replaceAll('\n', '\r\n');

/** Each handed-on chunk holds whole events only: it ends with a blank line. */
function expectWholeEvents(chunks: readonly Uint8Array[], eol = '\n') {
  for (const c of chunks) {
    expect(c.length).toBeGreaterThan(0);
    expect(decoder.decode(c).endsWith(`${eol}${eol}`)).toBe(true);
  }
}

describe('meteredStream, strip mode', () => {
  it('removes the usage-only chunk and leaves every other byte as it was', async () => {
    const m = await meter([bytes(STREAM)], true);
    expect(join(m.chunks)).toEqual(bytes(WITHOUT_USAGE));
    expect(decoder.decode(join(m.chunks))).toBe(WITHOUT_USAGE);
    expect(m.usages).toEqual([USAGE]);
    expect(m.firstBytes).toBe(1);
  });

  it('removes the usage chunk when it arrives as a chunk of its own', async () => {
    const m = await meter([ROLE, TEXT, STOP, USAGE_EVENT, DONE].map(bytes), true);
    expect(decoder.decode(join(m.chunks))).toBe([ROLE, TEXT, STOP, DONE].join(''));
    expect(m.usages).toEqual([USAGE]);
  });

  it('leaves a stream without a usage chunk untouched and reports no usage', async () => {
    const m = await meter([bytes(WITHOUT_USAGE)], true);
    expect(decoder.decode(join(m.chunks))).toBe(WITHOUT_USAGE);
    expect(m.usages).toEqual([]);
  });

  it('gives the same output and usage whatever byte offset the stream is split at', async () => {
    const all = bytes(STREAM);
    const expected = bytes(WITHOUT_USAGE);
    for (let at = 1; at < all.length; at++) {
      const m = await meter(splitAt(all, at), true);
      expect(join(m.chunks), `split at ${at}`).toEqual(expected);
      expect(m.usages, `split at ${at}`).toEqual([USAGE]);
      expect(m.firstBytes, `split at ${at}`).toBe(1);
      expectWholeEvents(m.chunks);
    }
  });

  it('gives the same output when every byte arrives as its own chunk', async () => {
    const all = bytes(STREAM);
    const m = await meter([...all].map((b) => Uint8Array.of(b)), true);
    expect(join(m.chunks)).toEqual(bytes(WITHOUT_USAGE));
    expect(m.usages).toEqual([USAGE]);
    expectWholeEvents(m.chunks);
  });

  it('handles CRLF line endings, split at every offset', async () => {
    const all = bytes(crlf(STREAM));
    const expected = bytes(crlf(WITHOUT_USAGE));
    const whole = await meter([all], true);
    expect(decoder.decode(join(whole.chunks))).toBe(crlf(WITHOUT_USAGE));
    for (let at = 1; at < all.length; at++) {
      const m = await meter(splitAt(all, at), true);
      expect(join(m.chunks), `split at ${at}`).toEqual(expected);
      expect(m.usages, `split at ${at}`).toEqual([USAGE]);
      expectWholeEvents(m.chunks, '\r\n');
    }
  });

  it('hands on the remainder when the stream ends mid-event', async () => {
    const cut = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"unfin';
    const m = await meter([bytes(ROLE + cut)], true);
    expect(m.chunks.map((c) => decoder.decode(c))).toEqual([ROLE, cut]);
    expect(m.usages).toEqual([]);
  });

  it('reports usage from an event cut off at the end of the stream', async () => {
    const cut = USAGE_EVENT.slice(0, -1); // one newline short of a complete event
    const m = await meter([bytes(ROLE), bytes(cut)], true);
    expect(decoder.decode(join(m.chunks))).toBe(ROLE + cut);
    expect(m.usages).toEqual([USAGE]);
  });

  it('calls onFirstBytes once, only when the first complete event is handed on', async () => {
    const log: string[] = [];
    const upstream = chunkReader([bytes('data: {"a"'), bytes(':1}\n'), bytes('\n'), bytes(DONE)]);
    const reader = meteredStream(upstream, {
      strip: true,
      onUsage: () => {},
      onFirstBytes: () => log.push(`first after ${upstream.reads} reads`),
    });
    const first = await reader.read();
    expect(first.done).toBe(false);
    expect(decoder.decode(first.value)).toBe('data: {"a":1}\n\n');
    // Three upstream reads to complete the event, then the call, before read() resolved.
    expect(log).toEqual(['first after 3 reads']);
    await drain(reader);
    expect(log).toHaveLength(1);
  });

  it('does not call onFirstBytes when the only event is the stripped usage chunk', async () => {
    const m = await meter([bytes(USAGE_EVENT)], true);
    expect(m.chunks).toEqual([]);
    expect(m.firstBytes).toBe(0);
    expect(m.usages).toEqual([USAGE]);
  });

  it('does not strip a Responses API stream, whose usage comes in response.completed', async () => {
    const m = await meter([bytes(RESPONSES)], true);
    expect(decoder.decode(join(m.chunks))).toBe(RESPONSES);
    expect(m.usages).toEqual([RESPONSES_USAGE]);
  });

  it('passes cancel() on to the upstream with its reason', async () => {
    const upstream = chunkReader([bytes(STREAM)]);
    const reader = meteredStream(upstream, { strip: true, onUsage: () => {}, onFirstBytes: () => {} });
    await reader.cancel('client went away');
    expect(upstream.cancels).toEqual(['client went away']);
  });
});

// The Responses API: usage is in the terminal event's response object (earlier events carry usage: null).
const RESPONSES_USAGE: TokenUsage = { input: 9, output: 3, cached: 2 };
const RESPONSES = [
  'event: response.created\ndata: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","status":"in_progress","output":[],"usage":null}}\n\n',
  'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi \\"usage\\": {}"}\n\n',
  'event: response.completed\ndata: {"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi","annotations":[]}]}],"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":12}}}\n\n',
].join('');

describe('meteredStream, observe mode (the client asked for usage itself)', () => {
  it('returns every upstream chunk object unchanged, usage chunk included', async () => {
    const chunks = [ROLE, TEXT + TRICKY.slice(0, 40), TRICKY.slice(40), STOP, USAGE_EVENT, DONE].map(bytes);
    const m = await meter(chunks, false);
    expect(m.chunks).toHaveLength(chunks.length);
    m.chunks.forEach((c, i) => expect(c).toBe(chunks[i]));
    expect(join(m.chunks)).toEqual(bytes(STREAM));
    expect(m.usages).toEqual([USAGE]);
    expect(m.firstBytes).toBe(1);
  });

  it('reports the usage of the final usage chunk wherever the stream is split', async () => {
    const all = bytes(STREAM);
    for (let at = 1; at < all.length; at++) {
      const chunks = splitAt(all, at);
      const m = await meter(chunks, false);
      expect(m.chunks, `split at ${at}`).toHaveLength(2);
      expect(m.chunks[0], `split at ${at}`).toBe(chunks[0]);
      expect(m.chunks[1], `split at ${at}`).toBe(chunks[1]);
      expect(m.usages, `split at ${at}`).toEqual([USAGE]);
    }
  });

  it('reports usage when the usage chunk arrives one byte at a time', async () => {
    const chunks = [bytes(ROLE), ...[...bytes(USAGE_EVENT)].map((b) => Uint8Array.of(b)), bytes(DONE)];
    const m = await meter(chunks, false);
    expect(join(m.chunks)).toEqual(bytes(ROLE + USAGE_EVENT + DONE));
    expect(m.usages).toEqual([USAGE]);
  });

  it('reads usage from the response.completed event of a Responses API stream, split anywhere', async () => {
    const all = bytes(RESPONSES);
    expect((await meter([all], false)).usages).toEqual([RESPONSES_USAGE]);
    for (let at = 1; at < all.length; at += 7) {
      const m = await meter(splitAt(all, at), false);
      expect(m.usages, `split at ${at}`).toEqual([RESPONSES_USAGE]);
      expect(join(m.chunks), `split at ${at}`).toEqual(all);
    }
  });

  it('reports usage from every chunk that carries it (continuous usage stats), in order', async () => {
    const chunk = (n: number) => `data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":${n}}}\n\n`;
    const m = await meter([chunk(1), chunk(2), chunk(3), DONE].map(bytes), false);
    expect(m.usages.map((u) => u.output)).toEqual([1, 2, 3]);
  });

  it('does not call onFirstBytes for an empty chunk', async () => {
    let firstBytes = 0;
    const reader = meteredStream(chunkReader([new Uint8Array(0), bytes(DONE)]), { strip: false, onUsage: () => {}, onFirstBytes: () => firstBytes++ });
    const empty = await reader.read();
    expect(empty.done === false && empty.value.length).toBe(0);
    expect(firstBytes).toBe(0);
    await reader.read();
    expect(firstBytes).toBe(1);
  });

  // Observing, each chunk goes on whole as it comes: the partial event kept for its usage must
  // not go on a second time when the upstream ends mid-event.
  it('hands on nothing more when the upstream ends mid-event (the bytes were already passed on)', async () => {
    const cut = 'data: {"id":"c1","choices":[{"index":0,"delta":{"content":"unfin';
    const chunks = [bytes(ROLE), bytes(cut)];
    const m = await meter(chunks, false);
    expect(join(m.chunks)).toEqual(bytes(ROLE + cut));
  });

  it('passes cancel() on to the upstream', async () => {
    const upstream = chunkReader([]);
    await meteredStream(upstream, { strip: false, onUsage: () => {}, onFirstBytes: () => {} }).cancel();
    expect(upstream.cancels).toEqual([undefined]);
  });
});
