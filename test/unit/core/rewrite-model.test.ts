import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rewriteModel } from '../../../src/api/rewrite-model.ts';

const rewrite = (text: string) => rewriteModel(text, JSON.parse(text) as Record<string, unknown>, 'auto', 'llama-3.1-8b');

describe('rewriteModel', () => {
  it('splices the new id into the client bytes, keeping every other byte (spacing, key order, numbers)', () => {
    const text = '{"messages":[{"role":"user","content":"hi"}],  "model" :  "auto", "temperature":1.0,"top_k":5}';
    expect(rewrite(text)).toBe('{"messages":[{"role":"user","content":"hi"}],  "model" :  "llama-3.1-8b", "temperature":1.0,"top_k":5}');
  });

  it('is not fooled by the same words inside a message', () => {
    const text = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'set "model": "auto" in the config' }] });
    const out = JSON.parse(rewrite(text)) as { model: string; messages: { content: string }[] };
    expect(out.model).toBe('llama-3.1-8b');
    expect(out.messages[0]?.content).toBe('set "model": "auto" in the config');
  });

  it('falls back to re-serializing when a nested object has the same member', () => {
    const text = JSON.stringify({ model: 'auto', tools: [{ type: 'function', function: { name: 'f', parameters: { model: 'auto' } } }] });
    const out = JSON.parse(rewrite(text)) as { model: string; tools: { function: { parameters: { model: string } } }[] };
    expect(out.model).toBe('llama-3.1-8b');
    expect(out.tools[0]?.function.parameters.model).toBe('auto');
  });

  it('handles model names that are special in regular expressions', () => {
    const text = '{"model":"large.v2+(x)","prompt":"p"}';
    expect(rewriteModel(text, JSON.parse(text) as Record<string, unknown>, 'large.v2+(x)', 'm')).toBe('{"model":"m","prompt":"p"}');
  });

  it('falls back when the literal is written with escapes', () => {
    const text = '{"model":"\\u0061uto","prompt":"p"}';
    expect(JSON.parse(rewrite(text))).toEqual({ model: 'llama-3.1-8b', prompt: 'p' });
  });

  it('splices the top-level member when nested ones look the same, keeping every other byte', () => {
    const text = '{ "tools":[{"model":"auto","s":"}{\\"model\\":\\"auto\\""}] ,"model" : "auto" ,"n":[1,{"model":"auto"}]}';
    expect(rewrite(text)).toBe('{ "tools":[{"model":"auto","s":"}{\\"model\\":\\"auto\\""}] ,"model" : "llama-3.1-8b" ,"n":[1,{"model":"auto"}]}');
  });

  it('rewrites the last of duplicate top-level keys, the one JSON.parse (and vLLM) reads', () => {
    const text = '{"model":"other","prompt":"p","model":"auto"}';
    expect(rewrite(text)).toBe('{"model":"other","prompt":"p","model":"llama-3.1-8b"}');
  });

  it('always yields the body with only its top-level model changed (property)', () => {
    const key = fc.constantFrom('model', 'prompt', 'm', 'mod\\u0065l', '"x"');
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), fc.constant('auto'));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 4 }), fc.nat(4), fc.constantFrom('', ' ', '\n  '), (rest, at, space) => {
        const entries = Object.entries(rest).filter(([k]) => k !== 'model');
        entries.splice(Math.min(at, entries.length), 0, ['model', 'auto']);
        const text = `{${entries.map(([k, v]) => `${space}${JSON.stringify(k)}${space}:${space}${JSON.stringify(v)}`).join(',')}${space}}`;
        const json = JSON.parse(text) as Record<string, unknown>;
        expect(JSON.parse(rewriteModel(text, json, 'auto', 'llama-3.1-8b'))).toEqual({ ...json, model: 'llama-3.1-8b' });
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['an escaped top-level key and a nested model', '{"mod\\u0065l":"auto","meta":{"model":"auto"},"prompt":"p"}', '{"mod\\u0065l":"llama-3.1-8b","meta":{"model":"auto"},"prompt":"p"}'],
    ['a plain key followed by an escaped duplicate (the last one counts)', '{"model":"auto","mod\\u0065l":"auto","prompt":"p"}', '{"model":"auto","mod\\u0065l":"llama-3.1-8b","prompt":"p"}'],
    ['every letter escaped', '{"\\u006d\\u006f\\u0064\\u0065\\u006c":"auto","x":{"model":"auto"}}', '{"\\u006d\\u006f\\u0064\\u0065\\u006c":"llama-3.1-8b","x":{"model":"auto"}}'],
  ])('changes the member JSON.parse reads, not a look-alike: %s', (_what, text, expected) => {
    expect(rewrite(text)).toBe(expected);
    const parsed = JSON.parse(expected) as { model: string };
    expect(parsed.model).toBe('llama-3.1-8b');
  });
});
