import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeMessages, encodeMessage, exceptionMessage, payloadPart } from '../../../infra/local/sim/sagemaker/event-stream.ts';
import { splitArbitrarily } from '../../../infra/local/sim/sagemaker/front.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('event-stream framing (application/vnd.amazon.eventstream)', () => {
  it('lays a message out as prelude, headers, payload and message CRC', () => {
    const message = encodeMessage({ ':event-type': 'PayloadPart' }, bytes('hi'));
    const view = Buffer.from(message);
    const headersLength = 1 + ':event-type'.length + 1 + 2 + 'PayloadPart'.length;
    expect(view.readUInt32BE(0)).toBe(12 + headersLength + 2 + 4);
    expect(view.readUInt32BE(4)).toBe(headersLength);
    expect(view.readUInt32BE(8)).toBe(crc32(view.subarray(0, 8)));
    expect(view.readUInt8(12)).toBe(':event-type'.length);
    expect(view.readUInt8(12 + 1 + ':event-type'.length)).toBe(7); // string
    expect(view.toString('utf8', message.length - 6, message.length - 4)).toBe('hi');
    expect(view.readUInt32BE(message.length - 4)).toBe(crc32(view.subarray(0, message.length - 4)));
  });

  it('round-trips PayloadParts and exceptions, checking both CRCs', () => {
    const stream = Buffer.concat([payloadPart(bytes('data: {"a":1}\n\n')), payloadPart(new Uint8Array()), exceptionMessage('ModelStreamError', { Message: 'boom', ErrorCode: 'StreamBroken' })]);
    const { messages, rest } = decodeMessages(stream);
    expect(rest).toHaveLength(0);
    expect(messages).toHaveLength(3);
    expect(messages[0]?.headers).toEqual({ ':event-type': 'PayloadPart', ':content-type': 'application/octet-stream', ':message-type': 'event' });
    expect(text(messages[0]?.payload ?? new Uint8Array())).toBe('data: {"a":1}\n\n');
    expect(messages[1]?.payload).toHaveLength(0);
    expect(messages[2]?.headers).toEqual({ ':exception-type': 'ModelStreamError', ':content-type': 'application/json', ':message-type': 'exception' });
    expect(JSON.parse(text(messages[2]?.payload ?? new Uint8Array()))).toEqual({ Message: 'boom', ErrorCode: 'StreamBroken' });
  });

  it('keeps an incomplete trailing message for later, at any cut', () => {
    const whole = Buffer.concat([payloadPart(bytes('first')), payloadPart(bytes('second ✓'))]);
    for (let cut = 0; cut <= whole.length; cut++) {
      const head = decodeMessages(whole.subarray(0, cut));
      const tail = decodeMessages(Buffer.concat([head.rest, whole.subarray(cut)]));
      expect([...head.messages, ...tail.messages].map((m) => text(m.payload))).toEqual(['first', 'second ✓']);
      expect(tail.rest).toHaveLength(0);
    }
  });

  it('rejects a corrupt prelude or payload', () => {
    const good = payloadPart(bytes('payload'));
    const badPrelude = Buffer.from(good);
    badPrelude[3] = (badPrelude[3] ?? 0) ^ 1;
    expect(() => decodeMessages(badPrelude)).toThrow(/prelude CRC/);
    const badPayload = Buffer.from(good);
    badPayload[good.length - 6] = (badPayload[good.length - 6] ?? 0) ^ 1;
    expect(() => decodeMessages(badPayload)).toThrow(/message CRC/);
  });

  it('cuts each output chunk into two parts at an arbitrary offset (mid-line, mid-character)', () => {
    const chunk = bytes('data: {"text":"日本"}\n\n');
    const cuts = new Set<number>();
    for (let seq = 0; seq < 50; seq++) {
      const parts = splitArbitrarily(chunk, seq);
      expect(parts).toHaveLength(2);
      expect(Buffer.concat(parts)).toEqual(Buffer.from(chunk));
      cuts.add(parts[0]?.length ?? 0);
    }
    expect(cuts.size).toBeGreaterThan(10);
    expect(splitArbitrarily(bytes('x'), 3)).toHaveLength(1);
  });
});
