// Label text as Prometheus' text format writes it: values escaped (backslash, double quote,
// line feed), names in the order given; and read back by parseField to the same values.
import { describe, expect, it } from 'vitest';
import { parseField } from '../../../../src/observe/metrics/fields.ts';
import { escapeLabel, labels } from '../../../../src/observe/metrics/series.ts';

describe('escapeLabel', () => {
  it.each([
    ['plain', 'llama-3.1-8b', 'llama-3.1-8b'],
    ['a double quote', 'say "hi"', 'say \\"hi\\"'],
    ['a backslash', 'C:\\models', 'C:\\\\models'],
    ['a line feed', 'two\nlines', 'two\\nlines'],
    ['a backslash before an n (not a line feed)', 'a\\n', 'a\\\\n'],
    ['all three', '\\"\n', '\\\\\\"\\n'],
  ])('escapes %s', (_, value, escaped) => {
    expect(escapeLabel(value)).toBe(escaped);
  });

  it('leaves what the format allows unescaped: commas, braces, equals signs, tabs, Unicode', () => {
    const value = 'a,b}{c=d\té✓';
    expect(escapeLabel(value)).toBe(value);
  });
});

describe('labels', () => {
  it('writes {name="value",...} in the order given', () => {
    expect(labels({ b: '2', a: '1' })).toBe('{b="2",a="1"}');
  });

  it('writes nothing for no labels', () => {
    expect(labels({})).toBe('');
  });

  it('round-trips awkward tenant and model names through parseField', () => {
    const values = { tenant: 'acme "east"\\ops', gen_ai_request_model: 'org/model\nv2', region: 'eu,west}', empty: '' };
    const field = `switchyard_requests_total${labels(values)}`;
    expect(parseField(field)).toEqual({ name: 'switchyard_requests_total', labels: values });
  });
});
