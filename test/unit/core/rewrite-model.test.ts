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
});
