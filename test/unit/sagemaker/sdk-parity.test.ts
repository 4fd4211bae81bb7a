// The SageMaker runtime client (src/backends/sagemaker/runtime-client.ts) against the official
// AWS SDK (@aws-sdk/client-sagemaker-runtime, a devDependency kept for this): the same calls,
// the clock and credentials fixed, must put the same request on the wire — method, URL, every
// header, the SigV4 Authorization included — and must read the same answers the same way:
// the same error (name, message, status, members) for every error answer, the same events and
// the same exception for the same event-stream bytes cut anywhere. Both sides record instead of
// sending: the SDK through its requestHandler, the client through its Transport.
import { InvokeEndpointCommand, InvokeEndpointWithResponseStreamCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeMessage, exceptionMessage, payloadPart } from '../../../infra/local/sim/sagemaker/event-stream.ts';
import { NO_SAGEMAKER_FAULTS, type SageMakerFaultPatch } from '../../../infra/local/sim/sagemaker/faults.ts';
import { TEST_AWS_CREDENTIALS } from '../../../infra/local/sim/sagemaker/front.ts';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';
import { sageMakerError } from '../../../src/backends/sagemaker/errors.ts';
import type { InvocationInput } from '../../../src/backends/sagemaker/invocation.ts';
import { runtimeClient, type RuntimeClient } from '../../../src/backends/sagemaker/runtime-client.ts';
import { sageMakerRuntimeUrl } from '../../../src/backends/sagemaker/runtime-url.ts';
import { fetchTransport } from '../../../src/backends/fetch-transport.ts';
import type { Transport, UpstreamRequest, UpstreamResponse } from '../../../src/backends/transport.ts';
import { UpstreamHttpError } from '../../../src/backends/upstream-error.ts';

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface Canned {
  status: number;
  headers: Record<string, string>;
  chunks: Uint8Array[];
}

interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const KEYS: Credentials = { accessKeyId: 'AKIDEXAMPLEPARITY001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const TEMPORARY: Credentials = { ...KEYS, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE//session+token/=' };
/** What only the SDK sends, for itself (telemetry, retry bookkeeping): removed before it signs. */
const SDK_BOOKKEEPING = ['user-agent', 'x-amz-user-agent', 'amz-sdk-invocation-id', 'amz-sdk-request'];
const bytes = (s: string) => new TextEncoder().encode(s);
const body = (chunks: readonly Uint8Array[]) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });

/** The official client, recording what it would send and answering `answer` instead. */
function sdkClient(region: string, credentials: Credentials, endpointUrl: string | undefined, answer: () => Canned, sent: WireRequest[]): SageMakerRuntimeClient {
  const client = new SageMakerRuntimeClient({
    region,
    credentials,
    ...(endpointUrl ? { endpoint: endpointUrl } : {}),
    maxAttempts: 1,
    useFipsEndpoint: false,
    useDualstackEndpoint: false,
    requestHandler: {
      handle: async (request: { method: string; protocol: string; hostname: string; port?: number; path: string; query?: Record<string, string>; headers: Record<string, string>; body?: unknown }) => {
        const query = new URLSearchParams(request.query ?? {}).toString();
        sent.push({
          method: request.method,
          url: `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${query ? `?${query}` : ''}`,
          headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])),
          body: typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array),
        });
        const { status, headers, chunks } = answer();
        return { response: { statusCode: status, headers, body: body(chunks) } };
      },
    },
  });
  client.middlewareStack.addRelativeTo(
    <Args extends { request: unknown }, Result>(next: (args: Args) => Promise<Result>) =>
      async (args: Args): Promise<Result> => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        for (const name of SDK_BOOKKEEPING) delete headers[name];
        return next(args);
      },
    { relation: 'before', toMiddleware: 'httpSigningMiddleware', name: 'dropSdkBookkeeping' },
  );
  return client;
}

/** A Transport that records the request and answers `answer`. */
function recordingTransport(answer: () => Canned, sent: WireRequest[]): Transport {
  return async (request: UpstreamRequest): Promise<UpstreamResponse> => {
    sent.push({ method: request.method, url: request.url, headers: { ...request.headers }, body: typeof request.body === 'string' ? request.body : '' });
    const { status, headers, chunks } = answer();
    const queue = [...chunks];
    return {
      status,
      header: (name) => headers[name.toLowerCase()] ?? null,
      bytes: async () => new Uint8Array(Buffer.concat(queue.splice(0))),
      reader: () => ({
        read: async () => {
          const next = queue.shift();
          return next === undefined ? { done: true } : { done: false, value: next };
        },
        cancel: async () => void queue.splice(0),
      }),
      discard: () => void queue.splice(0),
    };
  };
}

const ourClient = (region: string, credentials: Credentials, endpointUrl: string | undefined, transport: Transport): RuntimeClient =>
  runtimeClient({ transport, awsRegion: region, credentials, runtimeUrl: endpointUrl ?? sageMakerRuntimeUrl(region) });

const BUDGET = { connectMs: 1000, firstByteMs: 1000 };
const EMPTY_200: Canned = { status: 200, headers: { 'content-type': 'application/json' }, chunks: [] };

type Operation = 'InvokeEndpoint' | 'InvokeEndpointWithResponseStream';

async function callSdk(client: SageMakerRuntimeClient, operation: Operation, input: InvocationInput): Promise<{ body?: Uint8Array; events?: unknown[] }> {
  if (operation === 'InvokeEndpoint') {
    const out = await client.send(new InvokeEndpointCommand(input));
    return { body: out.Body };
  }
  const out = await client.send(new InvokeEndpointWithResponseStreamCommand(input));
  const events: unknown[] = [];
  for await (const event of out.Body ?? []) events.push(event);
  return { events };
}

async function callOurs(client: RuntimeClient, operation: Operation, input: InvocationInput): Promise<{ body?: Uint8Array; events?: unknown[] }> {
  if (operation === 'InvokeEndpoint') return { body: await client.invokeEndpoint(input, BUDGET) };
  const stream = await client.invokeEndpointWithResponseStream(input, BUDGET);
  const events: unknown[] = [];
  for (let r = await stream.events.next(); !r.done; r = await stream.events.next()) events.push(r.value);
  return { events };
}

/** What the gateway reads off an error: its identity and members, and what the forwarder makes of it. */
function errorFacts(error: unknown) {
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; OriginalStatusCode?: unknown; OriginalMessage?: unknown; ErrorCode?: unknown; LogStreamArn?: unknown };
  const mapped = sageMakerError(error);
  return {
    name: e.name,
    message: e.message,
    status: e.$metadata?.httpStatusCode,
    members: { OriginalStatusCode: e.OriginalStatusCode, OriginalMessage: e.OriginalMessage, ErrorCode: e.ErrorCode, LogStreamArn: e.LogStreamArn },
    mapped:
      mapped instanceof UpstreamHttpError
        ? { status: mapped.status, upstreamStatus: mapped.upstreamStatus, retryable: mapped.retryable, code: mapped.code, message: mapped.message, detail: mapped.detail, headers: mapped.headers }
        : `not mapped: ${String(mapped)}`,
  };
}

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('requests: the runtime client puts on the wire what the AWS SDK does', () => {
  beforeEach(() => {
    // Only Date: both sign at this instant, timers stay real.
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-04T09:15:30.123Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const NAMES = ['sm-chat', 'Llama-3-1-8B-endpoint-0001', 'needs escaping/ü é', "quote'(paren)*!~._-"];
  const cases: { what: string; region: string; credentials: Credentials; endpointUrl?: string; extra: Partial<InvocationInput> }[] = [
    { what: 'regional URL, long-term keys', region: 'us-east-1', credentials: KEYS, extra: {} },
    { what: 'regional URL, session token, variant and inference component', region: 'eu-west-1', credentials: TEMPORARY, extra: { TargetVariant: 'variant-a', InferenceComponentName: 'ic-llama 8b' } },
    { what: 'China partition', region: 'cn-north-1', credentials: KEYS, extra: { TargetVariant: 'AllTraffic' } },
    { what: 'GovCloud', region: 'us-gov-west-1', credentials: TEMPORARY, extra: {} },
    { what: 'ISO partition', region: 'us-iso-east-1', credentials: KEYS, extra: {} },
    { what: 'custom http endpointUrl with a port (a simulator)', region: 'us-east-1', credentials: KEYS, endpointUrl: 'http://127.0.0.1:8080', extra: {} },
    { what: 'custom https endpointUrl (a VPC endpoint), session token', region: 'ap-southeast-2', credentials: TEMPORARY, endpointUrl: 'https://vpce-0abc123-xyz.runtime.sagemaker.ap-southeast-2.vpce.amazonaws.com', extra: { InferenceComponentName: 'ic-1' } },
    { what: 'custom endpointUrl with a path prefix', region: 'us-west-2', credentials: KEYS, endpointUrl: 'http://localhost:9000/sagemaker-proxy', extra: {} },
  ];

  for (const c of cases) {
    for (const operation of ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] as const) {
      it(`${operation}, ${c.what}: same method, URL, headers, signature, body for every endpoint name`, async () => {
        for (const name of NAMES) {
          const input: InvocationInput = {
            EndpointName: name,
            Body: JSON.stringify({ messages: [{ role: 'user', content: 'naïve café ✓ 日本' }], max_tokens: 5 }),
            ContentType: 'application/json',
            Accept: operation === 'InvokeEndpoint' ? 'application/json' : 'text/event-stream',
            ...c.extra,
          };
          const bySdk: WireRequest[] = [];
          const byUs: WireRequest[] = [];
          await callSdk(sdkClient(c.region, c.credentials, c.endpointUrl, () => EMPTY_200, bySdk), operation, input);
          await callOurs(ourClient(c.region, c.credentials, c.endpointUrl, recordingTransport(() => EMPTY_200, byUs)), operation, input);
          expect(byUs).toHaveLength(1);
          expect(byUs[0]).toEqual(bySdk[0]);
          expect(byUs[0]?.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEPARITY001\/20261204\/[a-z0-9-]+\/sagemaker\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/);
        }
      });
    }
  }
});

describe('answers: the runtime client reads SageMaker the way the AWS SDK does', () => {
  const json = (status: number, type: string | null, payload: unknown, extraHeaders: Record<string, string> = {}): Canned => ({
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': 'req-123', ...(type === null ? {} : { 'x-amzn-errortype': type }), ...extraHeaders },
    chunks: [bytes(JSON.stringify(payload))],
  });
  const modelError = (status: number, original: string) =>
    json(424, 'ModelError', {
      ErrorCode: status >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL',
      LogStreamArn: 'arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/ep',
      Message: `Received error (${status}) from primary with message "${original}".`,
      OriginalMessage: original,
      OriginalStatusCode: status,
    });
  const vllm = (status: number, message: string) => JSON.stringify({ error: { message, type: 'BadRequestError', param: null, code: status } });

  const ERRORS: [string, Canned][] = [
    ['ValidationError', json(400, 'ValidationError', { Message: 'Inference Component Name header is required for endpoints to which you plan to deploy inference components.' })],
    ['ValidationError: endpoint not found', json(400, 'ValidationError', { Message: 'Endpoint ep of account 123456789012 not found.' })],
    ['ModelError from a 400', modelError(400, vllm(400, 'max_tokens is too large'))],
    ['ModelError from a 429', modelError(429, vllm(429, 'queue full'))],
    ['ModelError from a 500 (not JSON)', modelError(500, 'Traceback (most recent call last): …')],
    ['ModelNotReadyException', json(429, 'ModelNotReadyException', { Message: 'Model for endpoint ep is not ready.' })],
    ['ThrottlingException, lower-case message, Retry-After', json(400, 'ThrottlingException', { message: 'Rate exceeded' }, { 'retry-after': '3' })],
    ['ServiceUnavailable', json(503, 'ServiceUnavailable', { Message: 'Service is unavailable.' })],
    ['InternalFailure', json(500, 'InternalFailure', { Message: 'An internal failure occurred.' })],
    ['InternalDependencyException', json(530, 'InternalDependencyException', { Message: 'dependency failed' })],
    ['InvalidSignatureException (type with namespace and extra)', json(403, 'InvalidSignatureException:http://internal.amazon.com/coral/com.amazon.coral.service/', { message: 'The request signature we calculated does not match.' })],
    ['UnrecognizedClientException, type only in the body', json(403, null, { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' })],
    ['ExpiredTokenException, type in a code member', json(400, null, { code: 'ExpiredTokenException', message: 'The security token included in the request is expired' })],
    ['UnknownOperationException 404', json(404, 'UnknownOperationException', { message: 'GET /endpoints/ep/invocations is not an operation.' })],
    ['no type at all, 502', json(502, null, { message: 'bad gateway' })],
    ['empty 503', { status: 503, headers: {}, chunks: [] }],
  ];

  for (const operation of ['InvokeEndpoint', 'InvokeEndpointWithResponseStream'] as const) {
    it.each(ERRORS)(`${operation}: %s → the same error and the same mapping`, async (_what, answer) => {
      const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'application/json' };
      const fromSdk = await failureOf(() => callSdk(sdkClient('us-east-1', KEYS, undefined, () => answer, []), operation, input));
      const fromUs = await failureOf(() => callOurs(ourClient('us-east-1', KEYS, undefined, recordingTransport(() => answer, [])), operation, input));
      expect(errorFacts(fromUs)).toEqual(errorFacts(fromSdk));
      expect(fromUs).toBeInstanceOf(Error);
    });
  }

  it('an error body that is not JSON: the SDK throws a SyntaxError; the client names it by status and type and maps it the same way', async () => {
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'application/json' };
    for (const status of [502, 503, 504, 404]) {
      const answer: Canned = { status, headers: { 'content-type': 'text/html' }, chunks: [bytes('<html><body>Bad Gateway</body></html>')] };
      const fromSdk = await failureOf(() => callSdk(sdkClient('us-east-1', KEYS, undefined, () => answer, []), 'InvokeEndpoint', input));
      const fromUs = await failureOf(() => callOurs(ourClient('us-east-1', KEYS, undefined, recordingTransport(() => answer, [])), 'InvokeEndpoint', input));
      expect((fromSdk as Error).name).toBe('SyntaxError');
      expect(errorFacts(fromUs)).toMatchObject({ name: 'Unknown', message: '<html><body>Bad Gateway</body></html>', status });
      const [ours, theirs] = [errorFacts(fromUs).mapped, errorFacts(fromSdk).mapped];
      if (typeof ours === 'string' || typeof theirs === 'string') throw new Error('both must map to an upstream error');
      expect([ours.status, ours.upstreamStatus, ours.retryable, ours.code, ours.message]).toEqual([theirs.status, theirs.upstreamStatus, theirs.retryable, theirs.code, theirs.message]);
    }
  });

  it('beyond the SDK: an error body over 64 KiB is cut there and the rest left unread, the error still named by its type and status', async () => {
    const page = bytes(`<html>${'x'.repeat(200 * 1024)}</html>`);
    const chunks = [page.subarray(0, 50_000), page.subarray(50_000, 100_000), page.subarray(100_000)];
    let served = 0;
    let cancelled = false;
    const transport: Transport = async () => ({
      status: 503,
      header: (name) => ({ 'x-amzn-errortype': 'ServiceUnavailable', 'content-type': 'text/html' })[name.toLowerCase()] ?? null,
      bytes: async () => page,
      reader: () => ({
        read: async () => (served < chunks.length ? { done: false, value: chunks[served++] as Uint8Array } : { done: true }),
        cancel: async () => void (cancelled = true),
      }),
      discard: () => {},
    });
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'application/json' };
    const error = await failureOf(() => ourClient('us-east-1', KEYS, undefined, transport).invokeEndpoint(input, BUDGET));
    expect(errorFacts(error)).toMatchObject({ name: 'ServiceUnavailable', status: 503, mapped: { status: 503, code: 'sagemaker_unavailable', retryable: true } });
    expect((error as Error).message.length).toBe(512);
    // Two reads (100,000 bytes ≥ 64 KiB), then cancelled: the third chunk was never read.
    expect([served, cancelled]).toEqual([2, true]);
  });

  it('a whole answer: the same body bytes', async () => {
    const answer: Canned = { status: 200, headers: { 'content-type': 'application/json' }, chunks: [bytes('{"choices":[{"text":"naïve '), bytes('café"}]}')] };
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'application/json' };
    const fromSdk = await callSdk(sdkClient('us-east-1', KEYS, undefined, () => answer, []), 'InvokeEndpoint', input);
    const fromUs = await callOurs(ourClient('us-east-1', KEYS, undefined, recordingTransport(() => answer, [])), 'InvokeEndpoint', input);
    expect(new TextDecoder().decode(fromUs.body)).toBe(new TextDecoder().decode(fromSdk.body));
  });

  const parts = [payloadPart(bytes('data: {"choices":[{"delta":{"content":"naï')), payloadPart(new Uint8Array()), payloadPart(bytes('ve ✓"}}]}\n\ndata: [DONE]\n\n'))];
  const STREAMS: [string, Buffer[]][] = [
    ['PayloadParts only', parts],
    ['an unknown event type between parts (skipped)', [parts[0] as Buffer, encodeMessage({ ':event-type': 'SomethingNew', ':content-type': 'application/json', ':message-type': 'event' }, bytes('{}')), parts[2] as Buffer]],
    ['ModelStreamError after two parts', [parts[0] as Buffer, parts[1] as Buffer, exceptionMessage('ModelStreamError', { Message: 'The container closed the stream.', ErrorCode: 'StreamBroken' })]],
    ['InternalStreamFailure first', [exceptionMessage('InternalStreamFailure', { Message: 'Internal stream failure.' })]],
    ['an exception SageMaker does not model', [parts[0] as Buffer, exceptionMessage('ThrottlingException', { message: 'Rate exceeded' })]],
    ['an error message', [parts[0] as Buffer, encodeMessage({ ':message-type': 'error', ':error-code': 'InternalServerError', ':error-message': 'stream reset' }, new Uint8Array())]],
    ['no events at all', []],
  ];

  it.each(STREAMS)('an event stream with %s, cut at every offset: the same events, then the same end or exception', async (_what, messages) => {
    const whole = Buffer.concat(messages);
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'text/event-stream' };
    const outcome = async (call: () => Promise<{ events?: unknown[] }>) => {
      try {
        const { events } = await call();
        return { events: events?.map(eventFacts), error: null };
      } catch (error) {
        return { events: null, error: errorFacts(error) };
      }
    };
    // Cuts: whole, one byte at a time for the first message, and each offset into two pieces.
    const cuttings: Uint8Array[][] = [[whole], [...whole.subarray(0, 40)].map((b) => Uint8Array.of(b)).concat(whole.length > 40 ? [whole.subarray(40)] : [])];
    for (let at = 1; at < whole.length; at += 7) cuttings.push([whole.subarray(0, at), whole.subarray(at)]);
    for (const chunks of cuttings) {
      const answer = (): Canned => ({ status: 200, headers: { 'content-type': 'application/vnd.amazon.eventstream' }, chunks: chunks.map((c) => new Uint8Array(c)) });
      const theirs = await outcome(() => callSdk(sdkClient('us-east-1', KEYS, undefined, answer, []), 'InvokeEndpointWithResponseStream', input));
      const ours = await outcome(() => callOurs(ourClient('us-east-1', KEYS, undefined, recordingTransport(answer, [])), 'InvokeEndpointWithResponseStream', input));
      expect(ours).toEqual(theirs);
    }
  });

  it('a corrupt frame fails both', async () => {
    const corrupt = Buffer.from(parts[0] as Buffer);
    corrupt[corrupt.length - 6] = (corrupt[corrupt.length - 6] ?? 0) ^ 1;
    const answer = (): Canned => ({ status: 200, headers: {}, chunks: [new Uint8Array(corrupt)] });
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'text/event-stream' };
    const theirs = await failureOf(() => callSdk(sdkClient('us-east-1', KEYS, undefined, answer, []), 'InvokeEndpointWithResponseStream', input));
    const ours = await failureOf(() => callOurs(ourClient('us-east-1', KEYS, undefined, recordingTransport(answer, [])), 'InvokeEndpointWithResponseStream', input));
    // The SDK adds a line pointing at its hidden $response (the failure came while it read the first event).
    expect((ours as Error).message).toBe((theirs as Error).message.split('\n')[0]);
    expect((ours as Error).message).toMatch(/^The message checksum \(\d+\) did not match/);
  });
});

function eventFacts(event: unknown) {
  const e = event as { PayloadPart?: { Bytes?: Uint8Array } };
  return e.PayloadPart ? { PayloadPart: new TextDecoder().decode(e.PayloadPart.Bytes) } : event;
}

describe('against the simulator (real SigV4 verification): the same outcome for every fault', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSim({ profile: 'fast', sagemaker: { region: 'us-east-1', endpoints: ['ep'] } });
  });
  afterAll(async () => {
    await sim.close();
  });

  const FAULTS: [string, SageMakerFaultPatch][] = [
    ['ValidationError', { errorType: 'ValidationError' }],
    ['ModelError 400', { errorType: 'ModelError', modelErrorStatus: 400 }],
    ['ModelError 503', { errorType: 'ModelError', modelErrorStatus: 503 }],
    ['ModelNotReadyException', { errorType: 'ModelNotReadyException' }],
    ['ThrottlingException', { errorType: 'ThrottlingException' }],
    ['ServiceUnavailable', { errorType: 'ServiceUnavailable' }],
    ['InternalFailure', { errorType: 'InternalFailure' }],
    ['a stream exception first', { streamExceptionAfterParts: 0, streamExceptionType: 'InternalStreamFailure' }],
  ];

  it.each(FAULTS)('%s', async (_what, faults) => {
    sim.sagemaker?.setFaults(faults);
    try {
      const sdk = new SageMakerRuntimeClient({ region: 'us-east-1', credentials: TEST_AWS_CREDENTIALS, endpoint: sim.url, maxAttempts: 1 });
      const ours = ourClient('us-east-1', TEST_AWS_CREDENTIALS, sim.url, fetchTransport());
      const input: InvocationInput = { EndpointName: 'ep', Body: JSON.stringify({ prompt: 'x', max_tokens: 3, stream: true }), ContentType: 'application/json', Accept: 'text/event-stream' };
      const theirs = await failureOf(() => callSdk(sdk, 'InvokeEndpointWithResponseStream', input));
      const mine = await failureOf(() => callOurs(ours, 'InvokeEndpointWithResponseStream', input));
      expect(errorFacts(mine)).toEqual(errorFacts(theirs));
    } finally {
      sim.sagemaker?.setFaults(NO_SAGEMAKER_FAULTS);
    }
  });

  it('a wrong secret: the same signature rejection', async () => {
    const wrong = { ...TEST_AWS_CREDENTIALS, secretAccessKey: 'not-the-secret' };
    const input: InvocationInput = { EndpointName: 'ep', Body: '{"prompt":"x"}', ContentType: 'application/json', Accept: 'application/json' };
    const theirs = await failureOf(() => callSdk(new SageMakerRuntimeClient({ region: 'us-east-1', credentials: wrong, endpoint: sim.url, maxAttempts: 1 }), 'InvokeEndpoint', input));
    const mine = await failureOf(() => callOurs(ourClient('us-east-1', wrong, sim.url, fetchTransport()), 'InvokeEndpoint', input));
    expect(errorFacts(mine)).toEqual(errorFacts(theirs));
    expect(errorFacts(mine)).toMatchObject({ name: 'InvalidSignatureException', mapped: { code: 'sagemaker_auth_failed' } });
  });
});

describe('clock skew: the runtime client corrects its signing clock as the SDK does', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const skewed = (status: number, date: string, cached: boolean): Canned => {
    const headers: Record<string, string> = { 'content-type': 'application/json', date, ...(cached ? { age: '30' } : {}) };
    return status === 200
      ? { status, headers, chunks: [] }
      : { status, headers: { ...headers, 'x-amzn-errortype': 'InvalidSignatureException' }, chunks: [bytes('{"message":"Signature expired"}')] };
  };

  // Our clock says 09:00:00. Later signatures follow the server's Date, unless it came from a cache (Age) or does not parse.
  it.each([
    [403, 'Fri, 04 Dec 2026 09:12:00 GMT', false, '20261204T091200Z'],
    [403, 'Fri, 04 Dec 2026 08:50:00 GMT', false, '20261204T085000Z'],
    [200, 'Fri, 04 Dec 2026 09:30:00 GMT', false, '20261204T093000Z'],
    [403, 'Fri, 04 Dec 2026 09:00:02 GMT', false, '20261204T090002Z'],
    [200, 'Fri, 04 Dec 2026 09:30:00 GMT', true, '20261204T090000Z'],
    [403, 'not a date', false, '20261204T090000Z'],
  ] as const)('after a %i with Date %s (cached: %s), the next request is signed at the same time by both: %s', async (status, date, cached, signedAt) => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-04T09:00:00Z') });
    const input: InvocationInput = { EndpointName: 'ep', Body: '{}', ContentType: 'application/json', Accept: 'application/json' };
    const answers = [skewed(status, date, cached), EMPTY_200];
    const bySdk: WireRequest[] = [];
    const byUs: WireRequest[] = [];
    const sdk = sdkClient('us-east-1', KEYS, undefined, () => answers[bySdk.length - 1] ?? EMPTY_200, bySdk);
    const ours = ourClient('us-east-1', KEYS, undefined, recordingTransport(() => answers[byUs.length - 1] ?? EMPTY_200, byUs));
    await callSdk(sdk, 'InvokeEndpoint', input).catch(() => {});
    await callOurs(ours, 'InvokeEndpoint', input).catch(() => {});
    await callSdk(sdk, 'InvokeEndpoint', input);
    await callOurs(ours, 'InvokeEndpoint', input);
    expect(byUs).toHaveLength(2);
    expect(byUs[1]).toEqual(bySdk[1]);
    expect(byUs[1]?.headers['x-amz-date']).toBe(signedAt);
  });
});
