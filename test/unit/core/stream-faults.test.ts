// A stream that breaks off after its first bytes is the endpoint's failure like one before them:
// it counts towards that endpoint's breaker, so an endpoint cutting every stream leaves rotation.
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { chunkReader, stallingReader, upstreamResponse } from '../../support/upstream.ts';
import { localFleet } from './fixtures.ts';

const FLEET = localFleet();
const SECRETS: Readonly<Record<string, string>> = { UPSTREAM_KEY_US_EAST: 'a-secret', UPSTREAM_KEY_EU_WEST: 'b-secret', UPSTREAM_KEY_APAC: 'c-secret' };
const NEW_YORK = { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' };
const CHUNKS = [
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"He"}}]}\n\n',
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"llo"}}]}\n\n',
  'data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
  'data: [DONE]\n\n',
];

const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
let key = '';
beforeAll(async () => {
  key = (await keys.create({ tenant: 'acme' })).key;
});

const COMPLETION = JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hello' }, finish_reason: 'stop' }] });

/** us-east's pods cut every stream after two chunks (the connection drops); their non-streaming answers, and the other regions' streams, are whole. */
function gateway(cut: 'reset' | 'idle' | 'none') {
  const transport: Transport = async (request) => {
    if (typeof request.body === 'string' && !request.body.includes('"stream":true')) return upstreamResponse(200, COMPLETION, { 'content-type': 'application/json' });
    const response = upstreamResponse(200, CHUNKS, { 'content-type': 'text/event-stream' });
    if (cut === 'none' || !/:810[12]\//.test(request.url)) return response;
    if (cut === 'reset') return { ...response, reader: () => chunkReader(CHUNKS, { failAfter: 2, error: new Error('read ECONNRESET') }) };
    // Two chunks, then silence: the relay's idle timeout ends it.
    return { ...response, reader: () => stallingReader(CHUNKS.slice(0, 2)) };
  };
  const fleet = cut === 'idle' ? { ...FLEET, routing: { ...FLEET.routing, timeouts: { ...FLEET.routing.timeouts, streamIdleMs: 30 } } } : FLEET;
  return createApp({ fleet, keys, transport, secret: (n) => SECRETS[n], metrics: false });
}

const chatRequest = (stream: boolean) =>
  Object.assign(
    new Request('http://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], ...(stream ? { stream: true } : {}) }),
    }),
    { cf: NEW_YORK },
  );

async function stream(app: ReturnType<typeof gateway>, leaveAfterFirstChunk = false): Promise<{ region: string | null; cut: boolean }> {
  const request = chatRequest(true);
  const response = await app.request(request);
  if (leaveAfterFirstChunk) {
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    return { region: response.headers.get('x-switchyard-region'), cut: false };
  }
  const text = await response.text();
  return { region: response.headers.get('x-switchyard-region'), cut: text.includes('event: error') };
}

describe('streams cut after their first bytes', () => {
  it.each(['reset', 'idle'] as const)('take an endpoint that cuts every stream (%s) out of rotation', async (cut) => {
    const app = gateway(cut);
    const results: { region: string | null; cut: boolean }[] = [];
    for (let i = 0; i < 16; i++) results.push(await stream(app));
    // Each us-east pod is tried until its breaker opens (5 failures in a row), then eu-west serves.
    expect(results.filter((r) => r.cut).length).toBeLessThanOrEqual(10);
    expect(results.slice(-4)).toEqual(Array(4).fill({ region: 'eu-west', cut: false }));
  });

  it('take an endpoint out of rotation even while its non-streaming answers in between are whole', async () => {
    // Two whole non-streaming answers for every cut stream: neither 5 failures in a row nor an
    // error ratio of 50 % — yet every stream that endpoint serves is lost.
    const app = gateway('reset');
    const results: { region: string | null; cut: boolean }[] = [];
    for (let i = 0; i < 16; i++) {
      for (let j = 0; j < 2; j++) {
        const response = await app.request(chatRequest(false));
        expect(response.status).toBe(200);
        await response.arrayBuffer();
      }
      results.push(await stream(app));
    }
    expect(results.filter((r) => r.cut).length).toBeLessThanOrEqual(10);
    expect(results.slice(-4)).toEqual(Array(4).fill({ region: 'eu-west', cut: false }));
  });

  it('do not count against the endpoint when it is the client that leaves', async () => {
    const app = gateway('none');
    for (let i = 0; i < 12; i++) expect((await stream(app, true)).region).toBe('us-east');
    expect(await stream(app)).toEqual({ region: 'us-east', cut: false });
  });
});
