import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/classify/classify.ts';
import { extractFeatures } from '../../../src/classify/features.ts';
import { BUDGET_CHARS, MIDDLE_WINDOW, MIDDLE_WINDOWS, READ_HEAD, READ_TAIL, readRanges } from '../../../src/classify/read-budget.ts';

/** A long, varied prompt: prose, code in fences, maths, CJK, emoji; deterministic. */
function longText(chars: number, seed = 1): string {
  const parts = [
    'The quarterly report explains why revenue fell, step by step. ',
    '```ts\nconst total = items.reduce((a, b) => a + b.price, 0);\n```\n',
    'Solve 3x + 5 = 20 and integrate x^2 from 0 to 1. ',
    '请解释一下量子纠缠。',
    'You must answer in exactly 200 words and never use bullet points.\n',
    '😀 ',
  ];
  let out = '';
  for (let i = seed; out.length < chars; i = (i * 1103515245 + 12345) & 0x7fffffff) out += parts[i % parts.length];
  return out.slice(0, chars);
}

/** `text` with every character outside the read ranges (over `offset..offset+text.length` of the whole) replaced. */
function replaceUnread(text: string, ranges: readonly number[], offset: number, filler: (i: number) => string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const at = offset + i;
    let read = false;
    for (let r = 0; r < ranges.length; r += 2) if (at >= (ranges[r] ?? 0) && at < (ranges[r + 1] ?? 0)) read = true;
    out += read ? text[i] : filler(at);
  }
  return out;
}

describe('read budget', () => {
  it('reads a text within the budget whole', () => {
    expect(readRanges(0)).toEqual([0, 0]);
    expect(readRanges(BUDGET_CHARS)).toEqual([0, BUDGET_CHARS]);
  });

  it('reads exactly the budget of a longer text: head, tail and evenly spaced middle windows, disjoint and in order', () => {
    fc.assert(
      fc.property(fc.integer({ min: BUDGET_CHARS + 1, max: 50_000_000 }), (total) => {
        const ranges = readRanges(total);
        expect(ranges).toHaveLength(2 * (MIDDLE_WINDOWS + 2));
        expect(ranges.slice(0, 2)).toEqual([0, READ_HEAD]);
        expect(ranges.slice(-2)).toEqual([total - READ_TAIL, total]);
        let read = 0;
        for (let r = 0; r < ranges.length; r += 2) {
          const [start = 0, end = 0] = [ranges[r], ranges[r + 1]];
          expect(end).toBeGreaterThan(start);
          if (r > 0) expect(start).toBeGreaterThanOrEqual(ranges[r - 1] ?? 0);
          read += end - start;
        }
        expect(read).toBe(BUDGET_CHARS);
        expect(MIDDLE_WINDOW * MIDDLE_WINDOWS).toBe(BUDGET_CHARS - READ_HEAD - READ_TAIL);
      }),
    );
  });

  it('classifies a 128k-character prompt exactly as the same prompt with its unread middle replaced', () => {
    const text = longText(128_000);
    const ranges = readRanges(text.length);
    const replaced = replaceUnread(text, ranges, 0, (i) => (i % 7 === 0 ? '`' : i % 3 === 0 ? '∫' : 'x'));
    expect(replaced).not.toBe(text);
    expect(replaced).toHaveLength(text.length);
    const a = classify({ messages: [{ role: 'user', content: text }] });
    const b = classify({ messages: [{ role: 'user', content: replaced }] });
    expect(b).toEqual(a);
  });

  it('does the same when the read ranges cross message boundaries, roles and content parts', () => {
    const texts = [longText(5_000, 2), longText(40_000, 3), longText(700, 4), longText(60_000, 5), longText(3_000, 6)];
    const roles = ['system', 'user', 'assistant', 'user', 'tool'];
    const total = texts.reduce((n, t) => n + t.length, 0);
    const ranges = readRanges(total);
    const build = (contents: string[]) => ({
      messages: contents.map((content, i) => ({
        role: roles[i] ?? 'user',
        content: i === 3 ? [{ type: 'text', text: content }, { type: 'image_url', image_url: { url: 'x' } }] : content,
      })),
    });
    let offset = 0;
    const replaced = texts.map((t) => {
      const r = replaceUnread(t, ranges, offset, () => '}');
      offset += t.length;
      return r;
    });
    expect(classify(build(replaced))).toEqual(classify(build(texts)));
  });

  it('does change when a character it reads changes (the test above can fail)', () => {
    const text = longText(128_000);
    const ranges = readRanges(text.length);
    // A character in a middle window, and one in the tail.
    for (const at of [ranges[4] ?? 0, text.length - 10]) {
      const changed = `${text.slice(0, at)}\`\`\`\n${text.slice(at + 4)}`;
      expect(classify({ prompt: changed })).not.toEqual(classify({ prompt: text }));
    }
  });

  it('keeps the length exact and the token estimate proportionate beyond the budget', () => {
    const prose = 'The committee reviewed the budget and approved it. '.repeat(5_000);
    const short = extractFeatures({ prompt: prose.slice(0, BUDGET_CHARS) }).promptTokens;
    const long = extractFeatures({ prompt: prose }).promptTokens;
    expect(long / short).toBeCloseTo(prose.length / BUDGET_CHARS, 1);
  });
});

describe('any JSON input', () => {
  it.each([
    ['a token-id prompt', { model: 'auto', prompt: [[1, 2, 3]] }],
    ['a flat token-id prompt', { prompt: [1, 2, 3] }],
    ['messages: true', { messages: true }],
    ['messages: [null]', { messages: [null] }],
    ['messages of the wrong shapes', { messages: [1, 'x', [], { role: 5, content: 7 }, { content: [null, 3, { type: 'text', text: 9 }] }] }],
    ['tools and formats of the wrong types', { tools: 'all', response_format: 'json', max_tokens: 'lots', max_completion_tokens: Number.NaN }],
    ['a string', 'hello'],
    ['null', null],
    ['an array', [1, 2]],
  ])('classifies %s without throwing', (_what, body) => {
    const profile = classify(body);
    expect(Number.isFinite(profile.score)).toBe(true);
    expect(profile.score).toBeGreaterThan(0);
    expect(profile.score).toBeLessThan(1);
  });

  it('counts token ids as prompt length', () => {
    expect(extractFeatures({ prompt: [[1, 2, 3], [4, 5]] }).promptTokens).toBe(5);
    expect(extractFeatures({ prompt: [7, 8, 9, 10] }).promptTokens).toBe(4);
  });

  it('is total over arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        for (const body of [a, { messages: a, prompt: b }, { messages: [a, b], tools: a, response_format: b, max_tokens: a }]) {
          const { score } = classify(body);
          expect(score).toBeGreaterThan(0);
          expect(score).toBeLessThan(1);
        }
      }),
    );
  });
});
