import { describe, expect, it } from 'vitest';
import { hexOf, sha256Hex } from '../../../src/hex.ts';

describe('hexOf', () => {
  it('writes every byte value as two lower-case digits', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(hexOf(all)).toBe(Buffer.from(all).toString('hex'));
    expect(hexOf(new Uint8Array(0))).toBe('');
  });

  it('SHA-256 of a text, as the standard test vector has it', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
