// Streamed completions ask upstream for their usage: absent stream_options, the field is spliced
// into the client's own bytes (nothing else re-serialized); a present stream_options is merged.
import { describe, expect, it } from 'vitest';
import { withIncludeUsage } from '../../../src/meter/include-usage.ts';

const SPLICE = '"stream_options":{"include_usage":true},';

/** The body without stream_options, for comparing everything else. */
function withoutStreamOptions(json: unknown): Record<string, unknown> {
  const { stream_options: _, ...rest } = json as Record<string, unknown>;
  return rest;
}

describe('withIncludeUsage', () => {
  // Odd spacing, a number JSON.parse cannot hold exactly, and escapes: only a splice keeps them.
  const text = '{ "model" : "llama-3.1-8b",\n  "messages": [{"role": "user", "content": "say \\"hi\\" {x}"}],\n  "stream": true, "seed": 12345678901234567890, "temperature": 0.50 }';
  const json = JSON.parse(text) as Record<string, unknown>;

  it('splices include_usage in when stream_options is absent; the client did not ask', () => {
    const out = withIncludeUsage(text, json);
    expect(out.clientAsked).toBe(false);
    const parsed = JSON.parse(out.body) as Record<string, unknown>;
    expect(parsed['stream_options']).toEqual({ include_usage: true });
    expect(withoutStreamOptions(parsed)).toEqual(json);
  });

  it("keeps the client's bytes verbatim around the splice", () => {
    const { body } = withIncludeUsage(text, json);
    expect(body).toBe(`{${SPLICE}${text.slice(1)}`);
    // The big number survives as written, which a re-serialization would not do.
    expect(body).toContain('12345678901234567890');
    expect(body).toContain('"temperature": 0.50 }');
  });

  it('splices after leading whitespace before the opening brace', () => {
    const padded = `\n\t  ${text}`;
    const out = withIncludeUsage(padded, json);
    expect(out.body).toBe(`\n\t  {${SPLICE}${text.slice(1)}`);
    expect(JSON.parse(out.body)).toMatchObject({ stream_options: { include_usage: true }, model: 'llama-3.1-8b' });
    expect(out.clientAsked).toBe(false);
  });

  it.each([
    ['include_usage true', { include_usage: true }],
    ['continuous_usage_stats true', { continuous_usage_stats: true }],
    ['both true', { include_usage: true, continuous_usage_stats: true }],
  ])('leaves the body unchanged when the client asked (%s)', (_, options) => {
    const body = JSON.stringify({ model: 'm', stream: true, stream_options: options, messages: [] });
    const out = withIncludeUsage(body, JSON.parse(body) as Record<string, unknown>);
    expect(out).toEqual({ body, clientAsked: true });
  });

  it('re-serializes include_usage false as true, keeping the other stream_options fields', () => {
    const body = '{"model":"m","stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":false},"max_tokens":5}';
    const original = JSON.parse(body) as Record<string, unknown>;
    const out = withIncludeUsage(body, original);
    expect(out.clientAsked).toBe(false);
    const parsed = JSON.parse(out.body) as Record<string, unknown>;
    expect(parsed['stream_options']).toEqual({ include_usage: true, continuous_usage_stats: false });
    expect(withoutStreamOptions(parsed)).toEqual(withoutStreamOptions(original));
  });

  it('re-serializes stream_options null as an object with include_usage true', () => {
    const body = '{"model":"m","stream":true,"stream_options":null}';
    const out = withIncludeUsage(body, JSON.parse(body) as Record<string, unknown>);
    expect(out.clientAsked).toBe(false);
    expect(JSON.parse(out.body)).toEqual({ model: 'm', stream: true, stream_options: { include_usage: true } });
  });

  it('keeps unknown stream_options fields when merging', () => {
    const body = '{"model":"m","stream":true,"stream_options":{"vendor_flag":"x"}}';
    const out = withIncludeUsage(body, JSON.parse(body) as Record<string, unknown>);
    expect(JSON.parse(out.body)).toEqual({ model: 'm', stream: true, stream_options: { vendor_flag: 'x', include_usage: true } });
    expect(out.clientAsked).toBe(false);
  });
});
