// The SageMaker backend in Node (what `switchyard serve` runs): the runtime client over the
// gateway's transports (undici Pool, fetch) against the simulator's SageMaker front.
import { OPENAI_ENDPOINTS } from '../../../src/api/openai-endpoints.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';
import { TEST_AWS_CREDENTIALS } from '../../../infra/local/sim/sagemaker/front.ts';
import type { Backend, BackendCall } from '../../../src/backends/backend.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import { fetchTransport } from '../../../src/backends/fetch-transport.ts';
import { sageMakerBackend } from '../../../src/backends/sagemaker/backend.ts';
import { TransportError, type BodyReader, type Transport } from '../../../src/backends/transport.ts';
import { UpstreamHttpError } from '../../../src/backends/upstream-error.ts';
import type { CompiledEndpoint } from '../../../src/fleet/compiled.ts';
import type { SageMakerOutputStyle } from '../../../src/fleet/schema.ts';
import { undiciTransport } from '../../../node/undici-transport.ts';

const SECRETS: Record<string, string> = { AWS_KEY: TEST_AWS_CREDENTIALS.accessKeyId, AWS_SECRET: TEST_AWS_CREDENTIALS.secretAccessKey };
const decoder = new TextDecoder();

let sim: SimServer;
let slow: SimServer;
const undici = undiciTransport({ connectMs: 1000 });

beforeAll(async () => {
  sim = await startSim({ profile: 'fast', sagemaker: { region: 'us-east-1', endpoints: ['ep'] } });
  // Headers at once, then a long prefill and slow tokens: for first-event timeouts and cancellation.
  slow = await startSim({
    profile: { name: 'slow', interTokenLatencyMs: 40, prefillOverheadMs: 400, prefillTimePerTokenMs: 0, timeFactorUnderLoad: 1, maxNumSeqs: 4, maxWaitingQueueLength: 8, kvCacheBlocks: 512, blockSize: 16, maxModelLen: 4096 },
    sagemaker: { region: 'us-east-1' },
  });
});
afterAll(async () => {
  await undici.close();
  await sim.close();
  await slow.close();
});

const endpoint = (style: SageMakerOutputStyle, url = sim.url): CompiledEndpoint => ({
  // Unique per server: the backend keeps one runtime client per endpoint id.
  id: `us-east/m/${style}@${url}`,
  model: 'llama-3.1-8b',
  region: 'us-east',
  baseUrl: `${url}/endpoints/ep`,
  pathStyle: 'v1',
  weight: 1,
  backend: 'sagemaker',
  sagemaker: { endpointName: 'ep', awsRegion: 'us-east-1', outputStyle: style, credentials: { accessKeyIdSecret: 'AWS_KEY', secretAccessKeySecret: 'AWS_SECRET' }, endpointUrl: url },
});

const callFor = (ep: CompiledEndpoint, body: Record<string, unknown>, extra: Partial<BackendCall> = {}): BackendCall => ({
  endpoint: ep,
  route: 'messages' in body ? OPENAI_ENDPOINTS.chat.upstream : OPENAI_ENDPOINTS.completions.upstream,
  body: JSON.stringify({ model: 'llama-3.1-8b', ignore_eos: true, ...body }),
  requestId: 'req-1',
  credential: undefined,
  connectMs: 1000,
  firstByteMs: 2000,
  ...extra,
});

async function readAll(reader: BodyReader): Promise<string> {
  let text = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
  return text;
}

const running = async (server: SimServer) => Number(/^vllm:num_requests_running\S* (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);

describe.each([
  ['undici Pool (Node serve)', () => undici as Transport],
  ['fetch', () => fetchTransport()],
])('the SageMaker backend over %s', (_name, transport) => {
  const backend = (): Backend => sageMakerBackend({ transport: transport(), secret: (n) => SECRETS[n] });

  it.each(['openai-sse', 'json-lines'] as const)('answers whole and streamed requests from a %s endpoint', async (style) => {
    const b = backend();
    const whole = await b.send(callFor(endpoint(style), { messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 }));
    expect(whole.status).toBe(200);
    expect(whole.header('content-type')).toBe('application/json');
    const json = JSON.parse(decoder.decode(await whole.bytes())) as { object: string; usage: { completion_tokens: number } };
    expect(json).toMatchObject({ object: 'chat.completion', usage: { completion_tokens: 5 } });

    const streamed = await b.send(callFor(endpoint(style), { prompt: 'Once upon a time', max_tokens: 7, stream: true, stream_options: { include_usage: true } }));
    expect(streamed.header('content-type')).toMatch(/^text\/event-stream/);
    const text = await readAll(streamed.reader());
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).toContain('"completion_tokens":7');
  });
});

describe('the SageMaker backend: time and cancellation', () => {
  const backend = sageMakerBackend({ transport: fetchTransport(), secret: (n) => SECRETS[n] });

  it('counts a stream whose first event does not come in time as a first-byte timeout (so it fails over)', async () => {
    const started = Date.now();
    const error = await backend.send(callFor(endpoint('openai-sse', slow.url), { prompt: 'x', max_tokens: 3, stream: true }, { connectMs: 50, firstByteMs: 150 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ phase: 'first_byte', timeoutMs: 150 });
    // The first token is 400 ms away; the budget (connect + first byte, as for headers) is 200 ms.
    expect(Date.now() - started).toBeLessThan(380);
    await expect.poll(() => running(slow)).toBe(0);
  });

  it('ends the SageMaker exchange (and the container’s request) when the client leaves mid-stream', async () => {
    const response = await backend.send(callFor(endpoint('json-lines', slow.url), { prompt: 'x', max_tokens: 200, stream: true }));
    const reader = response.reader();
    expect((await reader.read()).done).toBe(false);
    expect(await running(slow)).toBe(1);
    await reader.cancel(new Error('client left'));
    await expect.poll(() => running(slow)).toBe(0);
    expect(await reader.read()).toEqual({ done: true });
  });

  it('honours the request’s CancelScope (the total deadline) mid-stream', async () => {
    const cancel = new CancelScope();
    const response = await backend.send(callFor(endpoint('openai-sse', slow.url), { prompt: 'x', max_tokens: 200, stream: true }, { cancel }));
    const reader = response.reader();
    await reader.read();
    cancel.cancel('deadline');
    await expect(readAll(reader)).rejects.toThrow();
    await expect.poll(() => running(slow)).toBe(0);
  });

  it('rejects a stream read when the container breaks off (the relay then sends an error event)', async () => {
    sim.setFaults({ cutAfterChunks: 2 });
    try {
      const response = await backend.send(callFor(endpoint('openai-sse'), { prompt: 'x', max_tokens: 20, stream: true }));
      await expect(readAll(response.reader())).rejects.toMatchObject({ name: 'ModelStreamError' });
    } finally {
      sim.resetFaults();
    }
  });

  it('reports an unreachable runtime as a network failure, and a missing secret before calling', async () => {
    const down = endpoint('openai-sse', 'http://127.0.0.1:9');
    await expect(backend.send(callFor(down, { prompt: 'x' }))).rejects.toMatchObject({ name: 'TransportError', phase: 'network' });
    const noKeys = sageMakerBackend({ transport: fetchTransport(), secret: () => undefined });
    const error = await noKeys.send(callFor(endpoint('openai-sse'), { prompt: 'x' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamHttpError);
    expect(error).toMatchObject({ status: 502, code: 'sagemaker_credentials_missing', retryable: true });
  });
});
