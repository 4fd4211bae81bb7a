// Turns a raw ioredis reply (Buffers, numbers, nulls, nested arrays) into Upstash's JSON.
import { Buffer } from 'node:buffer';

export type JsonReply = string | number | null | JsonReply[];

/**
 * With `base64`, every string is base64 of the exact bytes Redis sent (binary-safe);
 * numbers and nulls stay as they are, arrays are encoded element by element.
 * Without it, strings are decoded as UTF-8, as Upstash does.
 */
export function encodeReply(reply: unknown, base64: boolean): JsonReply {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'number') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString(base64 ? 'base64' : 'utf8');
  if (typeof reply === 'string') return base64 ? Buffer.from(reply).toString('base64') : reply;
  if (Array.isArray(reply)) return reply.map((item: unknown) => encodeReply(item, base64));
  // An error nested in an array (a script's error_reply inside a table): keep its message.
  if (reply instanceof Error) return encodeReply(reply.message, base64);
  // RESP2 has no other types; anything else is a bug worth seeing, not a silent null.
  throw new TypeError(`unexpected Redis reply of type ${typeof reply}`);
}
