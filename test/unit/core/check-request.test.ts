import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkProxyRequest, checkRequest } from '../../../src/api/check-request.ts';
import { ChatCompletionRequestSchema, CompletionRequestSchema, ProxyRequestSchema } from '../../../src/api/schemas.ts';

/**
 * The hand check must give zod's verdict on every input: never accept what the schema refuses
 * (the gateway would read a field of the wrong type), never refuse what it accepts (a valid
 * request turned away). Field values are drawn near the boundaries (empty strings and lists,
 * fractional and unsafe integers, null, nested lists), mixed with anything at all.
 */

const edgy = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, '', 'x', [], {}, [1], ['a'], [[1]], [[]], [1, 'a'], [null]),
  fc.jsonValue({ maxDepth: 2 }),
);
/** Mostly a valid value, sometimes anything: one wrong field at a time is what finds a disagreement. */
const mostly = <T,>(valid: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: edgy });
const nullish = <T,>(valid: fc.Arbitrary<T>) => fc.oneof(valid, fc.constant(null));
const message = mostly(
  fc.record(
    { role: mostly(fc.constantFrom('user', 'assistant', 'tool', 'ipython')), content: mostly(fc.oneof(fc.string(), fc.constant(null))), name: mostly(nullish(fc.string())), cache_control: edgy },
    { requiredKeys: ['role'] },
  ),
);
const prompt = mostly(fc.oneof(fc.string(), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.array(fc.integer(), { minLength: 1, maxLength: 3 }), fc.array(fc.array(mostly(fc.integer()), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })));
const fields = {
  model: mostly(fc.constantFrom('auto', 'llama-3.1-8b')),
  stream: mostly(nullish(fc.boolean())),
  stream_options: mostly(nullish(fc.record({ include_usage: mostly(nullish(fc.boolean())), continuous_usage_stats: edgy }, { requiredKeys: [] }))),
  temperature: mostly(nullish(fc.double({ noNaN: true, noDefaultInfinity: true }))),
  seed: mostly(nullish(fc.integer())),
  max_tokens: mostly(nullish(fc.nat())),
  max_completion_tokens: mostly(nullish(fc.nat())),
  user: mostly(nullish(fc.string())),
  tools: mostly(nullish(fc.array(edgy, { maxLength: 2 }))),
  messages: mostly(fc.array(message, { minLength: 1, maxLength: 3 })),
  prompt,
  top_k: edgy,
};
const body = fc.oneof({ weight: 6, arbitrary: fc.record(fields, { requiredKeys: ['model'] }) }, { weight: 1, arbitrary: edgy });
/** Bodies as the gateway sees them: parsed from JSON text. */
const parsedBody = body.map((value) => JSON.parse(JSON.stringify(value ?? null)) as unknown);

const RUNS = { numRuns: 4000 };

/**
 * The value with every own `__proto__` key dropped, for comparing the two outputs: JSON.parse
 * makes `"__proto__"` an own key, zod copies the objects its schemas parse by assignment, and
 * assigning `__proto__` sets the prototype instead (or nothing, for a non-object), so the key is
 * gone from zod's copy at those levels (not inside values it passes through). The hand check
 * keeps the parsed object; the gateway forwards the body's own text either way, so the key
 * reaches the upstream as the client sent it.
 */
function withoutOwnProto(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutOwnProto);
  if (typeof value !== 'object' || value === null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) if (key !== '__proto__') copy[key] = withoutOwnProto(v);
  return copy;
}

describe('checkRequest: the hand check gives the schema’s verdict', () => {
  it.each([
    ['chat', ChatCompletionRequestSchema],
    ['completions', CompletionRequestSchema],
  ] as const)('%s', (kind, schema) => {
    let accepted = 0;
    fc.assert(
      fc.property(parsedBody, (json) => {
        const fast = checkRequest(kind, json);
        const slow = schema.safeParse(json);
        expect(fast.success).toBe(slow.success);
        if (fast.success && slow.success) {
          accepted++;
          expect(withoutOwnProto(fast.data)).toEqual(withoutOwnProto(slow.data));
        } else if (!fast.success && !slow.success) {
          expect(fast.error.issues[0]).toEqual(slow.error.issues[0]);
        }
      }),
      RUNS,
    );
    // The generator reaches both verdicts often enough for the comparison to mean something.
    expect(accepted).toBeGreaterThan(RUNS.numRuns / 20);
    expect(accepted).toBeLessThan(RUNS.numRuns * 0.95);
  });

  it('proxy routes', () => {
    fc.assert(
      fc.property(parsedBody, (json) => {
        expect(checkProxyRequest(json).success).toBe(ProxyRequestSchema.safeParse(json).success);
      }),
      RUNS,
    );
  });

  it('words a refusal as zod does', () => {
    const result = checkRequest('chat', { model: 'm', messages: [{ role: 'user' }], max_tokens: 1.5 });
    expect(result.success).toBe(false);
    expect(result.success ? undefined : result.error.issues[0]?.path).toEqual(['max_tokens']);
  });

  it('returns an accepted body as it is, unknown fields and all', () => {
    const json = { model: 'm', messages: [{ role: 'user', content: 'hi', cache_control: {} }], top_k: 5, guided_json: { type: 'object' } };
    const result = checkRequest('chat', json);
    expect(result.success && result.data).toBe(json);
  });
});

describe('checkRequest: an own __proto__ key (JSON.parse makes one)', () => {
  it('is accepted where zod accepts it, and kept as sent (zod’s copy drops it)', () => {
    const json = JSON.parse('{"model":"auto","stream_options":{"__proto__":0},"messages":[{"role":"user"}]}') as unknown;
    const fast = checkRequest('chat', json);
    const slow = ChatCompletionRequestSchema.safeParse(json);
    expect(fast.success).toBe(true);
    expect(slow.success).toBe(true);
    expect(withoutOwnProto(fast.success ? fast.data : undefined)).toEqual(withoutOwnProto(slow.data));
  });
});
