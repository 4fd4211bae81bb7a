// What the deferred metering step settles on a finished request's record: the usage of a whole
// JSON answer (read here, off the hot path, then the answer dropped), the bytes sent, and the
// cost — zero for a cache hit, the region's pricing for the upstream's GPU time otherwise.
import { describe, expect, it } from 'vitest';
import { meterRequest } from '../../../src/meter/meter-request.ts';
import type { RequestRecord } from '../../../src/observe/request-record.ts';
import { model, region, requestRecord } from '../observe/fixtures.ts';

const fleet = {
  regions: new Map([
    ['tokens', region('tokens', { inputPerMillionTokensUsd: 0.5, outputPerMillionTokensUsd: 1.5, cachedInputPerMillionTokensUsd: 0.1 })],
    // 3.6 USD a GPU-hour: one GPU-millisecond is 1e-6 USD.
    ['gpu', region('gpu', { inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0, gpuHourUsd: 3.6 })],
  ]),
  models: new Map([
    ['llama', model('llama')],
    ['qwen-tp2', model('qwen-tp2', 2)],
  ]),
};

const ANSWER = '{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":800}}}';
const bytes = new TextEncoder().encode(ANSWER);
const TOKEN_USD = (200 * 0.5 + 800 * 0.1 + 500 * 1.5) / 1e6;

/** A request forwarded to `region` at t=100 and metered at t=1100. */
function metered(filled: Partial<RequestRecord>): RequestRecord {
  const record = requestRecord({ region: 'tokens', model: 'llama', dispatchedAt: 100, ...filled });
  meterRequest(record, fleet, 1100);
  return record;
}

describe('meterRequest', () => {
  it('reads a JSON answer’s usage, counts its bytes, prices it, and drops the answer', () => {
    const record = metered({ answer: bytes });
    expect(record.usage).toEqual({ input: 1000, output: 500, cached: 800 });
    expect(record.bytesOut).toBe(bytes.length);
    expect(record.cost?.basis).toBe('tokens');
    expect(record.cost?.usd).toBeCloseTo(TOKEN_USD, 15);
    expect(record.answer).toBeUndefined();
  });

  it('reads an answer held as text (a cache entry) the same way, counting its UTF-8 bytes', () => {
    const text = ANSWER.replace('"hi"', '"héllo ✓"');
    const record = metered({ answer: text });
    expect(record.usage).toEqual({ input: 1000, output: 500, cached: 800 });
    expect(record.bytesOut).toBe(new TextEncoder().encode(text).length);
    expect(record.bytesOut).toBeGreaterThan(text.length);
  });

  it('keeps usage a stream already reported, and the bytes the relay counted', () => {
    const record = metered({ answer: bytes, usage: { input: 7, output: 3, cached: 0 }, bytesOut: 42 });
    expect(record.usage).toEqual({ input: 7, output: 3, cached: 0 });
    expect(record.bytesOut).toBe(42);
  });

  it('does not take a streamed answer’s stored body for the bytes sent (the replay is not those bytes)', () => {
    expect(metered({ answer: bytes, stream: true }).bytesOut).toBeUndefined();
  });

  it('leaves usage unset when the answer carries none, and still prices the request (at 0 tokens)', () => {
    const record = metered({ answer: '{"id":"c","choices":[]}' });
    expect(record.usage).toBeUndefined();
    expect(record.cost).toEqual({ usd: 0, basis: 'tokens' });
  });

  it('leaves usage unset when the answer is not JSON at all', () => {
    const record = metered({ answer: 'upstream said <html>oops</html>' });
    expect(record.usage).toBeUndefined();
    expect(record.answer).toBeUndefined();
  });

  it.each(['hit-l1', 'hit-l2', 'hit-l3'])('meters a %s as served (its tokens) at zero upstream cost, whatever the region charges', (cache) => {
    const record = metered({ cache, region: 'gpu', answer: bytes });
    expect(record.usage).toEqual({ input: 1000, output: 500, cached: 800 });
    expect(record.cost).toEqual({ usd: 0, basis: 'cache' });
  });

  it('prices a cache miss like any forwarded request', () => {
    expect(metered({ cache: 'miss', answer: bytes }).cost?.usd).toBeCloseTo(TOKEN_USD, 15);
  });

  it('charges GPU time from dispatch to the end, times the model’s GPUs, split among the requests sharing them', () => {
    const alone = metered({ region: 'gpu', model: 'qwen-tp2', answer: bytes });
    expect(alone.cost?.basis).toBe('gpu-time');
    expect(alone.cost?.usd).toBeCloseTo(1000 * 2 * 1e-6, 15);
    const shared = metered({ region: 'gpu', model: 'qwen-tp2', sharedWith: 4 });
    expect(shared.cost?.usd).toBeCloseTo((1000 * 2 * 1e-6) / 4, 15);
  });

  it('counts one GPU for a model the fleet does not know the GPUs of', () => {
    expect(metered({ region: 'gpu', model: 'llama' }).cost?.usd).toBeCloseTo(1000e-6, 15);
    expect(metered({ region: 'gpu', model: undefined }).cost?.usd).toBeCloseTo(1000e-6, 15);
  });

  it('never charges negative time when the clock read before dispatch', () => {
    const record = requestRecord({ region: 'gpu', model: 'llama', dispatchedAt: 5000 });
    meterRequest(record, fleet, 1000);
    expect(record.cost).toEqual({ usd: 0, basis: 'gpu-time', gpuUsd: 0 });
  });

  it.each<[string, Partial<RequestRecord>]>([
    ['never forwarded (refused before dispatch)', { dispatchedAt: undefined }],
    ['no region (every upstream failed)', { region: undefined }],
    ['a region the fleet does not have', { region: 'mars' }],
  ])('sets no cost for a request %s, but still reads its usage', (_, filled) => {
    const record = metered({ answer: bytes, ...filled });
    expect(record.cost).toBeUndefined();
    expect(record.usage).toEqual({ input: 1000, output: 500, cached: 800 });
  });
});
