import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, explainClassification } from '../../../src/classify/classify.ts';
import { extractFeatures, FEATURE_NAMES, type FeatureVector } from '../../../src/classify/features.ts';
import { BUDGET_CHARS } from '../../../src/classify/read-budget.ts';
import type { ClassifyRequest } from '../../../src/classify/request.ts';
import { compileModel, scoreFeatures } from '../../../src/classify/score.ts';
import { SHIPPED_WEIGHTS } from '../../../src/classify/shipped-weights.ts';

const ask = (content: string, extra: Partial<ClassifyRequest> = {}): ClassifyRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});
const scoreOf = (request: unknown) => classify(request).score;
const SHIPPED = compileModel(SHIPPED_WEIGHTS);
const weightOf = (name: string) => SHIPPED_WEIGHTS.features.find((f) => f.name === name)?.weight ?? 0;

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
    const score = scoreOf(request);
    expect(score).toBeGreaterThanOrEqual(0);
    expect(score).toBeLessThanOrEqual(1);
    expect(Number.isFinite(score)).toBe(true);
  });

  it('ranks requests by their length wherever no cue fires: the length prior cannot be outweighed by silence', () => {
    // Plain single-turn prose: no fences, tools, schema or earlier turns.
    const prose = fc.stringMatching(/^[a-zA-Z ,.?]{0,400}$/);
    fc.assert(
      fc.property(prose, prose, (a, b) => {
        const fa = extractFeatures(ask(a));
        const fb = extractFeatures(ask(b));
        if (fa.promptTokens < fb.promptTokens) expect(scoreOf(ask(a))).toBeLessThan(scoreOf(ask(b)));
        if (fa.promptTokens === fb.promptTokens) expect(scoreOf(ask(a))).toBe(scoreOf(ask(b)));
      }),
    );
  });

  it('never falls when a request grows (within the read budget): every weight is at or above its floor', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.string({ maxLength: 2000 }), (head, tail) => {
        fc.pre(head.length + tail.length <= BUDGET_CHARS);
        expect(scoreOf(ask(head + tail))).toBeGreaterThanOrEqual(scoreOf(ask(head)));
      }),
    );
  });

  it('rises when the same text is a fenced code block', () => {
    // Same characters, same length: only the fence differs.
    const fenced = 'Why does this loop never end?\n```\nwhile (i < n) { total += i }\n```';
    const quoted = fenced.replaceAll('```', "'''");
    expect(extractFeatures(ask(fenced)).promptTokens).toBe(extractFeatures(ask(quoted)).promptTokens);
    expect(scoreOf(ask(fenced))).toBeGreaterThan(scoreOf(ask(quoted)));
  });

  it.each([
    ['tools', { tools: [{ type: 'function' }] }],
    ['a JSON schema', { response_format: { type: 'json_schema' } }],
    ['JSON mode', { response_format: { type: 'json_object' } }],
  ] as const)('rises when the request adds %s', (_what, extra) => {
    expect(scoreOf(ask(TRIVIAL, extra as Partial<ClassifyRequest>))).toBeGreaterThan(scoreOf(ask(TRIVIAL)));
  });

  it('rises with conversation depth beyond what the extra text adds', () => {
    // The same text as one message and as a three-turn conversation.
    const one: ClassifyRequest = { messages: [{ role: 'user', content: 'Tell me more. Tell me more. Tell me more.' }] };
    const three: ClassifyRequest = {
      messages: [
        { role: 'user', content: 'Tell me more.' },
        { role: 'assistant', content: 'Tell me more.' },
        { role: 'user', content: 'Tell me more.' },
      ],
    };
    const lengthOnly = { ...extractFeatures(three), depth: 0 };
    expect(scoreOf(three)).toBeGreaterThan(scoreFeatures(SHIPPED, lengthOnly));
    expect(scoreOf(three)).toBeGreaterThan(scoreOf(one));
  });

  it('depends only on the features the calibration scored', () => {
    const base = extractFeatures(ask(TRIVIAL));
    for (const f of SHIPPED_WEIGHTS.features.filter((x) => x.weight === 0)) {
      expect(scoreFeatures(SHIPPED, { ...base, [f.name]: base[f.name] + 50 })).toBe(scoreFeatures(SHIPPED, base));
    }
    for (const f of SHIPPED_WEIGHTS.features.filter((x) => x.weight > 0)) {
      expect(scoreFeatures(SHIPPED, { ...base, [f.name]: base[f.name] + 1 })).toBeGreaterThan(scoreFeatures(SHIPPED, base));
    }
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

  it('ships a positive length weight and no negative cue weight', () => {
    expect(weightOf('promptTokens')).toBeGreaterThan(0);
    for (const f of SHIPPED_WEIGHTS.features) expect(f.weight).toBeGreaterThanOrEqual(0);
  });
});

describe('explanation', () => {
  const request: ClassifyRequest = {
    messages: [
      { role: 'user', content: 'Here is my code:\n```py\nprint(1)\n```' },
      { role: 'assistant', content: 'It prints 1.' },
      { role: 'user', content: 'Return it as JSON.' },
    ],
    tools: [{ type: 'function' }],
    response_format: { type: 'json_schema' },
  };

  it('adds up to the score: sigmoid(bias + Σ contributions)', () => {
    const profile = classify(request);
    const e = explainClassification(profile.features);
    const logit = e.terms.reduce((z, t) => z + t.contribution, e.bias);
    expect(e.logit).toBeCloseTo(logit, 12);
    expect(e.score).toBe(profile.score);
    expect(1 / (1 + Math.exp(-e.logit))).toBeCloseTo(profile.score, 12);
  });

  it('lists every scored feature once, largest contribution first, each weight × its normalized value', () => {
    const e = explainClassification(classify(request).features);
    expect(e.terms.map((t) => t.feature).sort()).toEqual(SHIPPED_WEIGHTS.features.filter((f) => f.weight !== 0).map((f) => f.name).sort());
    for (let i = 1; i < e.terms.length; i++) expect(e.terms[i - 1]?.contribution ?? 0).toBeGreaterThanOrEqual(e.terms[i]?.contribution ?? 0);
    for (const t of e.terms) {
      expect(t.contribution).toBeCloseTo(t.weight * t.normalized, 12);
      expect(t.normalized).toBeGreaterThanOrEqual(0);
      expect(t.normalized).toBeLessThanOrEqual(1);
    }
    const depth = e.terms.find((t) => t.feature === 'depth');
    expect(depth?.raw).toBe(2);
  });
});
