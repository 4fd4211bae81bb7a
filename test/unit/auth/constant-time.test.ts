import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../../src/auth/constant-time.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('constantTimeEqual', () => {
  it('is true for equal bytes, including empty arrays', () => {
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(bytes(), bytes())).toBe(true);
  });

  it('is false for a difference anywhere, down to a single bit', () => {
    expect(constantTimeEqual(bytes(0, 2, 3), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes(1, 2, 2))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 0x80), bytes(1, 2, 0))).toBe(false);
  });

  it('is false for different lengths, even when one is a prefix of the other', () => {
    expect(constantTimeEqual(bytes(1, 2), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 3), bytes())).toBe(false);
  });

  it('agrees with a plain comparison on random digests', () => {
    for (let i = 0; i < 200; i += 1) {
      const a = crypto.getRandomValues(new Uint8Array(32));
      const b = i % 2 === 0 ? a.slice() : crypto.getRandomValues(new Uint8Array(32));
      expect(constantTimeEqual(a, b)).toBe(a.every((value, j) => value === b[j]));
    }
  });
});
