import { describe, expect, it } from 'vitest';
import { extractFeatures } from '../../../src/classify/features.ts';

const tokensOf = (content: string) => extractFeatures({ messages: [{ role: 'user', content }] }).promptTokens;

describe('token estimate', () => {
  it('is about four characters per token for English prose', () => {
    const text = 'The quick brown fox jumps over the lazy dog near the quiet river bank. '.repeat(40);
    const tokens = tokensOf(text) - 4; // one message of chat markup
    expect(tokens).toBeGreaterThan(text.length / 5);
    expect(tokens).toBeLessThan(text.length / 3);
  });

  it('counts about one token per CJK character', () => {
    const text = '机器学习是人工智能的一个分支'.repeat(20);
    const tokens = tokensOf(text) - 4;
    expect(tokens).toBeGreaterThanOrEqual(text.length * 0.9);
    expect(tokens).toBeLessThanOrEqual(text.length * 1.2);
  });

  it('counts punctuation-dense code more finely than prose of the same length', () => {
    const code = 'if (a[i] != b[j]) { c += f(x, y); }\n'.repeat(20);
    const prose = 'the cat sat down on the mat and slept for hours\n'.repeat(20).slice(0, code.length);
    expect(tokensOf(code)).toBeGreaterThan(tokensOf(prose));
  });

  it('counts an emoji once, not per UTF-16 half', () => {
    expect(tokensOf('😀'.repeat(10)) - 4).toBe(Math.ceil(10 / 2.5));
  });

  it('adds a few tokens per message and nothing for an empty request', () => {
    expect(extractFeatures({ messages: [] }).promptTokens).toBe(0);
    expect(extractFeatures({ messages: [{ role: 'user', content: '' }] }).promptTokens).toBe(4);
  });
});
