// The secret part of an API key: how one is made, recognized and hashed (Web Crypto only).
import { sha256Hex } from '../hex.ts';

const PREFIX = 'sy-';
const LENGTH = 40;
// 64 symbols, so `byte & 63` picks each one uniformly: 40 × 6 = 240 bits of entropy.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SHAPE = /^sy-[A-Za-z0-9_-]{40}$/;

export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(LENGTH));
  let key = PREFIX;
  for (const byte of bytes) key += ALPHABET[byte & 63];
  return key;
}

/** Whether a presented string can be a key at all; checked before any hashing or lookup. */
export function isWellFormedKey(presented: string): boolean {
  return SHAPE.test(presented);
}

/** SHA-256 of the key, lower-case hex: the only form in which a key is ever stored. */
export async function hashKey(key: string): Promise<string> {
  // A flat string (src/hex.ts): the key memo and the negative cache keep these by the thousand.
  return sha256Hex(key);
}

/** The public id shown by `keys list` and taken by `keys revoke`. */
export function keyIdFor(hash: string): string {
  return `key_${hash.slice(0, 12)}`;
}
