// AWS's binary event-stream framing (application/vnd.amazon.eventstream), as SageMaker's
// InvokeEndpointWithResponseStream answers it. One message:
//   [total length u32][headers length u32][prelude CRC32 u32][headers][payload][message CRC32 u32]
// all big-endian; both CRCs are CRC-32 (IEEE), the second over everything before it.
// A header is [name length u8][name][type u8][value]; the simulator writes strings (type 7:
// [length u16][utf-8]) and reads every type, so tests can decode what the AWS SDK would.
import { crc32 } from 'node:zlib';

const PRELUDE = 12;
const TRAILER = 4;

export type HeaderValue = string | number | boolean | bigint | Uint8Array | Date;

export interface EventMessage {
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly payload: Uint8Array;
}

export function encodeMessage(headers: Readonly<Record<string, string>>, payload: Uint8Array): Buffer {
  const encoded = Object.entries(headers).map(([name, value]) => {
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(value, 'utf8');
    if (n.length > 255 || v.length > 0xffff) throw new Error(`event-stream header ${name} is too long`);
    const out = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
    out.writeUInt8(n.length, 0);
    n.copy(out, 1);
    out.writeUInt8(7, 1 + n.length);
    out.writeUInt16BE(v.length, 2 + n.length);
    v.copy(out, 4 + n.length);
    return out;
  });
  const headerBytes = Buffer.concat(encoded);
  const total = PRELUDE + headerBytes.length + payload.length + TRAILER;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(headerBytes.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  headerBytes.copy(message, PRELUDE);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(message, PRELUDE + headerBytes.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - TRAILER)), total - TRAILER);
  return message;
}

/** A PayloadPart event: the bytes are the whole payload (the member is the event payload). */
export const payloadPart = (bytes: Uint8Array): Buffer =>
  encodeMessage({ ':event-type': 'PayloadPart', ':content-type': 'application/octet-stream', ':message-type': 'event' }, bytes);

/** A modeled exception in the stream (ModelStreamError, InternalStreamFailure); the SDK throws it. */
export const exceptionMessage = (type: string, body: Readonly<Record<string, unknown>>): Buffer =>
  encodeMessage({ ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' }, Buffer.from(JSON.stringify(body), 'utf8'));

/**
 * Splits a byte buffer into whole messages, checking both CRCs. `rest` is an incomplete
 * trailing message (more bytes to come); a corrupt message throws.
 */
export function decodeMessages(bytes: Uint8Array): { messages: EventMessage[]; rest: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: EventMessage[] = [];
  let at = 0;
  while (buf.length - at >= PRELUDE) {
    const total = buf.readUInt32BE(at);
    const headersLength = buf.readUInt32BE(at + 4);
    if (crc32(buf.subarray(at, at + 8)) !== buf.readUInt32BE(at + 8)) throw new Error('event-stream: prelude CRC mismatch');
    if (total < PRELUDE + TRAILER + headersLength) throw new Error('event-stream: lengths do not add up');
    if (buf.length - at < total) break;
    const end = at + total;
    if (crc32(buf.subarray(at, end - TRAILER)) !== buf.readUInt32BE(end - TRAILER)) throw new Error('event-stream: message CRC mismatch');
    const headers = decodeHeaders(buf.subarray(at + PRELUDE, at + PRELUDE + headersLength));
    messages.push({ headers, payload: new Uint8Array(buf.subarray(at + PRELUDE + headersLength, end - TRAILER)) });
    at = end;
  }
  return { messages, rest: new Uint8Array(buf.subarray(at)) };
}

function decodeHeaders(buf: Buffer): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  let at = 0;
  while (at < buf.length) {
    const nameLength = buf.readUInt8(at);
    const name = buf.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const type = buf.readUInt8(at);
    at += 1;
    switch (type) {
      case 0: headers[name] = true; break;
      case 1: headers[name] = false; break;
      case 2: headers[name] = buf.readInt8(at); at += 1; break;
      case 3: headers[name] = buf.readInt16BE(at); at += 2; break;
      case 4: headers[name] = buf.readInt32BE(at); at += 4; break;
      case 5: headers[name] = buf.readBigInt64BE(at); at += 8; break;
      case 6:
      case 7: {
        const length = buf.readUInt16BE(at);
        const value = buf.subarray(at + 2, at + 2 + length);
        headers[name] = type === 7 ? value.toString('utf8') : new Uint8Array(value);
        at += 2 + length;
        break;
      }
      case 8: headers[name] = new Date(Number(buf.readBigInt64BE(at))); at += 8; break;
      case 9: headers[name] = new Uint8Array(buf.subarray(at, at + 16)); at += 16; break;
      default: throw new Error(`event-stream: unknown header type ${type}`);
    }
  }
  return headers;
}
