import { describe, expect, it } from 'vitest';
import { planOutput } from '../../../infra/local/sim/text-generator.ts';
import { applyChatTemplate, countTokens, encodePrompt, SPECIAL, tokenize } from '../../../infra/local/sim/tokenizer.ts';

describe('tokenizer', () => {
  it('is deterministic and about one token per 4 characters', () => {
    const text = 'The quick brown fox jumps over the lazy dog, twice.';
    expect(tokenize(text)).toEqual(tokenize(text));
    expect(tokenize(text)).toHaveLength(Math.ceil(text.length / 4));
    expect(countTokens(text)).toBe(13);
    expect(tokenize('')).toEqual([]);
    expect(tokenize(text).every((id) => Number.isInteger(id) && id >= 0 && id < 128000)).toBe(true);
  });

  it('gives texts with a shared prefix the same leading tokens', () => {
    const a = tokenize('You are a helpful assistant. Answer briefly: what is KV caching?');
    const b = tokenize('You are a helpful assistant. Answer briefly: why do GPUs batch?');
    const shared = Math.floor('You are a helpful assistant. Answer briefly: '.length / 4);
    expect(a.slice(0, shared)).toEqual(b.slice(0, shared));
    expect(a).not.toEqual(b);
  });

  it('applies the Llama 3 chat template with its special token ids', () => {
    const ids = applyChatTemplate([{ role: 'user', content: 'hi' }]);
    expect(ids[0]).toBe(SPECIAL.beginOfText);
    expect(ids[1]).toBe(SPECIAL.startHeader);
    expect(ids).toContain(SPECIAL.endOfTurn);
    expect(ids.at(-2)).toBe(SPECIAL.endHeader); // …assistant<|end_header_id|>\n\n
    expect(encodePrompt('hi')).toEqual([SPECIAL.beginOfText, ...tokenize('hi')]);
  });

  it('treats text parts like string content and conversations sharing messages share leading tokens', () => {
    const asString = applyChatTemplate([{ role: 'user', content: 'hello world' }]);
    const asParts = applyChatTemplate([
      { role: 'user', content: [{ type: 'text', text: 'hello world' }] },
    ]);
    expect(asParts).toEqual(asString);
    const system = { role: 'system', content: 'A long shared system prompt that many tenants reuse.' };
    const one = applyChatTemplate([system, { role: 'user', content: 'first question' }]);
    const two = applyChatTemplate([system, { role: 'user', content: 'another one entirely' }]);
    const firstTurn = applyChatTemplate([system]).length - 5; // minus the assistant header
    expect(one.slice(0, firstTurn)).toEqual(two.slice(0, firstTurn));
    expect(applyChatTemplate([{ role: 'assistant', content: 'hi' }])).not.toEqual(applyChatTemplate([{ role: 'user', content: 'hi' }]));
  });
});

describe('text generator', () => {
  const base = { seed: 7, model: 'llama-3.1-8b', promptTokens: tokenize('hello'), maxTokens: 12, minTokens: 0, ignoreEos: false };

  it('gives the same output for the same (seed, model, prompt), and different output otherwise', () => {
    expect(planOutput(base)).toEqual(planOutput(base));
    const text = (o: ReturnType<typeof planOutput>) => o.pieces.join('');
    expect(text(planOutput({ ...base, seed: 8 }))).not.toBe(text(planOutput(base)));
    expect(text(planOutput({ ...base, model: 'other' }))).not.toBe(text(planOutput(base)));
    expect(text(planOutput({ ...base, promptTokens: tokenize('hello!') }))).not.toBe(text(planOutput(base)));
  });

  it('runs to max_tokens unless an early stop is drawn; ignore_eos and min_tokens hold it back', () => {
    const outcomes = Array.from({ length: 60 }, (_, i) => planOutput({ ...base, promptTokens: tokenize(`prompt ${i}`) }));
    const stopped = outcomes.filter((o) => o.finishReason === 'stop');
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.length).toBeLessThan(outcomes.length);
    for (const o of outcomes) {
      if (o.finishReason === 'length') expect(o.pieces).toHaveLength(12);
      else expect(o.pieces.length).toBeGreaterThanOrEqual(6);
      expect(o.pieces.length).toBeLessThanOrEqual(12);
    }
    const i = outcomes.findIndex((o) => o.finishReason === 'stop');
    const stopPrompt = tokenize(`prompt ${i}`);
    expect(planOutput({ ...base, promptTokens: stopPrompt, ignoreEos: true })).toMatchObject({ finishReason: 'length' });
    expect(planOutput({ ...base, promptTokens: stopPrompt, minTokens: 12 }).pieces).toHaveLength(12);
  });
});
