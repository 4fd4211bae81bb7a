import { describe, expect, it } from 'vitest';
import { classify } from '../../../src/classify/classify.ts';
import { FEATURE_NAMES, type FeatureVector } from '../../../src/classify/features.ts';
import type { ClassifyRequest } from '../../../src/classify/request.ts';
import { compileModel, scoreFeatures } from '../../../src/classify/score.ts';
import { SHIPPED_WEIGHTS } from '../../../src/classify/shipped-weights.ts';

const ask = (content: string, extra: Partial<ClassifyRequest> = {}): ClassifyRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});
const scoreOf = (request: ClassifyRequest) => classify(request).score;

const TRIVIAL = 'What is the capital of France?';

describe('score', () => {
  it.each([
    ['empty', { messages: [] }],
    ['trivial', ask(TRIVIAL)],
    ['everything at once', ask(`${'```py\nx = f(y)\n```\nSolve 3x + 5 = 20 step by step, must be exact. '.repeat(400)}请解释`, {
      tools: Array.from({ length: 50 }, () => ({})),
      response_format: { type: 'json_schema' },
      max_tokens: 100_000,
    })],
    ['garbage values', { messages: [{ role: 'user', content: { not: 'text' } }], max_tokens: -5 }],
  ] as const)('is a number in [0, 1] (%s)', (_name, request) => {
    const score = scoreOf(request as ClassifyRequest);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(Number.isFinite(score)).toBe(true);
  });

  // Adding what a strong model is needed for never lowers the score; the signals the calibration
  // weighted above zero raise it.
  it.each([
    ['code', `${TRIVIAL}\n\`\`\`python\ndef capital(country):\n    return lookup[country]\n\`\`\``, true],
    ['math', `${TRIVIAL} Also solve 3x + 5 = 20 and integrate x^2.`, true],
    ['a second language', '法国的首都是哪里？请简单回答。', true],
    ['reasoning markers', `${TRIVIAL} Explain why, step by step, and compare it with Lyon.`, false],
    ['constraints', `${TRIVIAL} Do not use the letter e, avoid adjectives, and the tone must be formal.`, false],
  ] as const)('rises (or at least does not fall) when a trivial prompt gains %s', (_what, text, strictly) => {
    const base = scoreOf(ask(TRIVIAL));
    const more = scoreOf(ask(text));
    if (strictly) expect(more).toBeGreaterThan(base);
    else expect(more).toBeGreaterThanOrEqual(base);
  });

  it.each([
    ['tools', { tools: [{ type: 'function' }] }],
    ['a JSON schema', { response_format: { type: 'json_schema' } }],
    ['a long requested output', { max_tokens: 8000 }],
  ] as const)('rises when the request adds %s', (_what, extra) => {
    expect(scoreOf(ask(TRIVIAL, extra as Partial<ClassifyRequest>))).toBeGreaterThan(scoreOf(ask(TRIVIAL)));
  });

  it('rises with conversation depth', () => {
    const turns = (n: number): ClassifyRequest => ({
      messages: Array.from({ length: n }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: 'Tell me more.' })),
    });
    expect(scoreOf(turns(7))).toBeGreaterThan(scoreOf(turns(1)));
  });

  it('is deterministic and reports the features it used', () => {
    const request = ask('Solve 3x + 5 = 20.');
    const a = classify(request);
    expect(classify(request)).toEqual(a);
    expect(Object.keys(a.features).sort()).toEqual([...FEATURE_NAMES].sort());
  });

  it('applies the weights file: bias alone, then one normalized feature', () => {
    const features = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as FeatureVector;
    const spec = (name: string, weight: number) => ({
      name: name as (typeof FEATURE_NAMES)[number],
      normalize: { kind: 'log1p-cap' as const, cap: 3 },
      weight,
    });
    const model = compileModel({ bias: 0, features: FEATURE_NAMES.map((n) => spec(n, n === 'code' ? 2 : 0)) });
    expect(scoreFeatures(model, features)).toBeCloseTo(0.5, 10);
    // log1p(3) / log1p(3) = 1 → sigmoid(2); past the cap it stays clamped.
    expect(scoreFeatures(model, { ...features, code: 3 })).toBeCloseTo(1 / (1 + Math.exp(-2)), 10);
    expect(scoreFeatures(model, { ...features, code: 300 })).toBeCloseTo(1 / (1 + Math.exp(-2)), 10);
  });

  it('ships weights that never count a signal against the strong model', () => {
    for (const f of SHIPPED_WEIGHTS.features) expect(f.weight).toBeGreaterThanOrEqual(0);
  });
});
