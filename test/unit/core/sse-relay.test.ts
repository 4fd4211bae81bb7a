import { CancelScope } from '../../../src/backends/cancellation.ts';
import { describe, expect, it } from 'vitest';
import { relaySse, type RelayOptions, type StreamOutcome } from '../../../src/api/sse-relay.ts';
import type { BodyReader } from '../../../src/backends/transport.ts';
import { chunkReader, decode, readAll, stallingReader } from '../../support/upstream.ts';

const encoder = new TextEncoder();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const EVENT_A = 'data: {"id":"cmpl-1","choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n';
const EVENT_B = 'data: {"id":"cmpl-1","choices":[{"index":0,"delta":{"content":"lo"}}]}\n\n';
const DONE = 'data: [DONE]\n\n';

/** The exact SSE error event the relay appends, per code. */
const errorEvent = (code: string, message: string, type: string) =>
  `event: error\ndata: ${JSON.stringify({ error: { message, type, param: null, code } })}\n\n`;
const TRUNCATED = errorEvent('stream_truncated', 'the upstream ended the stream before it was complete', 'server_error');
const TOTAL_TIMEOUT = errorEvent('upstream_total_timeout', 'the response exceeded the total time allowed; the stream was ended', 'server_error');
const idleTimeout = (ms: number) => errorEvent('stream_idle_timeout', `the upstream sent nothing for ${ms} ms; the stream was ended`, 'server_error');

/** Relays `upstream`, recording every onEnd call. */
function relay(upstream: BodyReader, options: Partial<RelayOptions> = {}) {
  const ends: StreamOutcome[] = [];
  const stream = relaySse(upstream, { idleMs: 10_000, ...options, onEnd: (outcome) => ends.push(outcome) });
  return { stream, ends };
}

/** A small SSE parser (WHATWG rules): blank lines dispatch, data lines join with \n, a pending event at EOF is dropped. */
function parseSse(text: string): { event: string; data: string }[] {
  const events: { event: string; data: string }[] = [];
  let event = '';
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) events.push({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      continue;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return events;
}

describe('relaySse', () => {
  it('passes every chunk through byte-identical and in order, then closes', async () => {
    // "é" is split across two chunks: the relay must not decode or re-encode anything.
    const bytes = encoder.encode(`${EVENT_A}data: {"content":"é"}\n\n${DONE}`);
    const split = EVENT_A.length + 'data: {"content":"'.length + 1;
    const chunks = [bytes.slice(0, EVENT_A.length), bytes.slice(EVENT_A.length, split), bytes.slice(split)];
    const { stream, ends } = relay(chunkReader(chunks));
    const out = await readAll(stream);
    expect(out).toEqual(chunks);
    expect(ends).toEqual([{ completed: true, bytes: bytes.length, chunks: 3, clientCancelled: false }]);
  });

  it('reads nothing upstream before the consumer asks, then exactly one upstream read per consumer read', async () => {
    const upstream = chunkReader([EVENT_A, EVENT_B, DONE]);
    const { stream } = relay(upstream);
    await sleep(20);
    expect(upstream.reads).toBe(0);
    const reader = stream.getReader();
    expect(decode([(await reader.read()).value ?? new Uint8Array()])).toBe(EVENT_A);
    await sleep(10);
    expect(upstream.reads).toBe(1);
    expect(decode([(await reader.read()).value ?? new Uint8Array()])).toBe(EVENT_B);
    await sleep(10);
    expect(upstream.reads).toBe(2);
  });

  const full = `${EVENT_A}${EVENT_B}${DONE}`;
  it.each(Array.from({ length: 96 }, (_, i) => full.length - 1 - i))('counts [DONE] split at byte %i of the stream as completed', async (at) => {
    const { stream, ends } = relay(chunkReader([full.slice(0, at), full.slice(at)]));
    expect(decode(await readAll(stream))).toBe(full);
    expect(ends).toEqual([{ completed: true, bytes: full.length, chunks: 2, clientCancelled: false }]);
  });

  it.each([
    ['one byte per chunk', full.split('')],
    ['[DONE] then the blank line in separate chunks', [EVENT_A, 'data: [DONE]', '\n', '\n']],
    ['CRLF line ends', [EVENT_A, 'data: [DONE]\r\n\r\n']],
    ['one big chunk longer than the remembered tail', [`${EVENT_A.repeat(5)}${DONE}`]],
  ])('counts a stream ending in [DONE] as completed: %s', async (_what, chunks) => {
    const { stream, ends } = relay(chunkReader(chunks));
    expect(decode(await readAll(stream))).toBe(chunks.join(''));
    expect(ends.map((e) => e.completed)).toEqual([true]);
  });

  it.each([
    ['ends after whole events', [EVENT_A, EVENT_B]],
    ['sent [DONE] before more events', [EVENT_A, DONE, EVENT_B]],
    ['sent nothing at all', []],
  ])('ends a stream that %s with exactly one stream_truncated error event', async (_what, chunks) => {
    const upstream = chunkReader(chunks);
    const { stream, ends } = relay(upstream);
    const out = await readAll(stream);
    expect(out.map((c) => decode([c]))).toEqual([...chunks, TRUNCATED]);
    const bytes = chunks.join('').length;
    expect(ends).toEqual([{ completed: false, error: 'stream_truncated', bytes, chunks: chunks.length, clientCancelled: false }]);
  });

  it('ends a stream whose upstream read rejects mid-way with the error event; the cause goes to the log, not the client', async () => {
    const upstream = chunkReader([EVENT_A, EVENT_B, DONE], { failAfter: 1, error: new TypeError('read ECONNRESET 10.42.0.17:8000') });
    const { stream, ends } = relay(upstream);
    const out = await readAll(stream);
    expect(decode([out[0] as Uint8Array])).toBe(EVENT_A);
    const event = parseSse(decode(out.slice(1))).at(-1);
    expect(event?.event).toBe('error');
    expect(JSON.parse(event?.data ?? 'null')).toEqual({
      error: { message: 'the upstream ended the stream before it was complete', type: 'server_error', param: null, code: 'stream_truncated' },
    });
    expect(ends).toEqual([{ completed: false, error: 'stream_truncated', detail: 'TypeError: read ECONNRESET 10.42.0.17:8000', bytes: EVENT_A.length, chunks: 1, clientCancelled: false }]);
  });

  it('ends a stream cut in the middle of an event with an error event a client can still parse on its own', async () => {
    const { stream } = relay(chunkReader([EVENT_A, 'data: {"id":"cmpl-1","choi']));
    const events = parseSse(decode(await readAll(stream)));
    const last = events.at(-1);
    expect(last?.event).toBe('error');
    expect(JSON.parse(last?.data ?? 'null')).toEqual({
      error: { message: 'the upstream ended the stream before it was complete', type: 'server_error', param: null, code: 'stream_truncated' },
    });
  });

  it.each([
    ['resolves done', false],
    ['rejects', true],
  ])('ends a silent upstream after idleMs with stream_idle_timeout (the cancelled read %s)', async (_what, rejectOnCancel) => {
    const upstream = stallingReader([EVENT_A], { rejectOnCancel });
    const { stream, ends } = relay(upstream, { idleMs: 30 });
    const started = Date.now();
    const out = await readAll(stream);
    const elapsed = Date.now() - started;
    expect(out.map((c) => decode([c]))).toEqual([EVENT_A, idleTimeout(30)]);
    expect(ends).toEqual([{ completed: false, error: 'stream_idle_timeout', bytes: EVENT_A.length, chunks: 1, clientCancelled: false }]);
    expect(upstream.cancels).toHaveLength(1);
    expect(elapsed).toBeGreaterThanOrEqual(20);
    expect(elapsed).toBeLessThan(5_000);
  });

  it('does not count the time the consumer takes between reads as upstream silence', async () => {
    const { stream, ends } = relay(chunkReader([EVENT_A, DONE]), { idleMs: 30 });
    const reader = stream.getReader();
    await reader.read();
    await sleep(100);
    expect(decode([(await reader.read()).value ?? new Uint8Array()])).toBe(DONE);
    expect((await reader.read()).done).toBe(true);
    expect(ends.map((e) => e.completed)).toEqual([true]);
  });

  it('ends the stream with upstream_total_timeout when the deadline fires during a read, cancelling the upstream', async () => {
    const upstream = stallingReader([EVENT_A]);
    const deadline = new CancelScope();
    const { stream, ends } = relay(upstream, { cancel: deadline });
    const reader = stream.getReader();
    expect(decode([(await reader.read()).value ?? new Uint8Array()])).toBe(EVENT_A);
    const pending = reader.read();
    await sleep(10);
    deadline.cancel('deadline');
    expect(decode([(await pending).value ?? new Uint8Array()])).toBe(TOTAL_TIMEOUT);
    expect((await reader.read()).done).toBe(true);
    expect(upstream.cancels).toHaveLength(1);
    expect(ends).toEqual([{ completed: false, error: 'upstream_total_timeout', bytes: EVENT_A.length, chunks: 1, clientCancelled: false }]);
  });

  it('ends the stream with upstream_total_timeout when the deadline fires between reads', async () => {
    const upstream = chunkReader([EVENT_A, EVENT_B, DONE]);
    const deadline = new CancelScope();
    const { stream, ends } = relay(upstream, { cancel: deadline });
    const reader = stream.getReader();
    await reader.read();
    deadline.cancel('deadline');
    expect(decode([(await reader.read()).value ?? new Uint8Array()])).toBe(TOTAL_TIMEOUT);
    expect((await reader.read()).done).toBe(true);
    expect(upstream.cancels).toHaveLength(1);
    expect(ends.map((e) => e.error)).toEqual(['upstream_total_timeout']);
  });

  it('cancels the upstream and reports clientCancelled when the client goes away between reads', async () => {
    const upstream = chunkReader([EVENT_A, EVENT_B, DONE]);
    const { stream, ends } = relay(upstream);
    const reader = stream.getReader();
    await reader.read();
    await reader.cancel('client went away');
    expect(upstream.cancels).toEqual(['client went away']);
    expect(ends).toEqual([{ completed: false, error: 'client_cancelled', bytes: EVENT_A.length, chunks: 1, clientCancelled: true }]);
  });

  it('cancels the upstream and reports clientCancelled once when the client goes away during a read', async () => {
    const upstream = stallingReader([EVENT_A]);
    const { stream, ends } = relay(upstream, { idleMs: 10_000 });
    const reader = stream.getReader();
    await reader.read();
    const pending = reader.read();
    await sleep(10);
    await reader.cancel('tab closed');
    expect((await pending).done).toBe(true);
    await sleep(10);
    expect(upstream.cancels).toEqual(['tab closed']);
    expect(ends).toEqual([{ completed: false, error: 'client_cancelled', bytes: EVENT_A.length, chunks: 1, clientCancelled: true }]);
  });

  it('reports the outcome exactly once even when the deadline fires after the stream completed', async () => {
    const deadline = new CancelScope();
    const { stream, ends } = relay(chunkReader([EVENT_A, DONE]), { cancel: deadline });
    await readAll(stream);
    deadline.cancel('deadline');
    await sleep(10);
    expect(ends).toEqual([{ completed: true, bytes: EVENT_A.length + DONE.length, chunks: 2, clientCancelled: false }]);
  });
});
