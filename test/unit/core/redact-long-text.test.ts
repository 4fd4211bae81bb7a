// An upstream's error text can echo a client's megabyte body: what the client sees is cut short
// before the redaction patterns run, some of which backtrack quadratically on runs like
// `a.a.a.…` (a megabyte of it blocked the event loop for minutes in `npm run bench -- fuzz`).
import { describe, expect, it } from 'vitest';
import { redactForClient } from '../../../src/api/redact.ts';

describe('redactForClient on a long text', () => {
  it.each([
    ['a.a.a.…', 'a.'],
    ['a-a-a-…', 'a-'],
    ['words with dotted names', 'see a.b.c '],
  ])('answers at once and short for a megabyte of %s', (_what, unit) => {
    const out = redactForClient(`invalid value: ${unit.repeat(Math.ceil((1 << 20) / unit.length))}`);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out.startsWith('invalid value:')).toBe(true);
  });

  it('cuts at a space, so a host or URL astride the cut never reaches the client in part', () => {
    const host = 'gpu-pool-7.internal.example.com';
    for (let pad = 1180; pad < 1220; pad += 3) {
      const text = `${'x '.repeat(pad / 2)}see https://${host}:8443/v1/chat/completions and more words after it ${'y '.repeat(2000)}`;
      const out = redactForClient(text);
      expect(out).not.toMatch(/gpu-pool|internal\.example|example\.com|8443/);
    }
  });
});
