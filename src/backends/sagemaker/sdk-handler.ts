import type { Cancellation } from '../cancellation.ts';
import { TransportError, type BodyReader, type Transport } from '../transport.ts';

/**
 * The AWS SDK's HTTP layer, replaced by the gateway's own Transport (fetch on Workers, the
 * undici Pool on Node). The SDK still builds, signs and parses every request; what it gains
 * is the vLLM path's behaviour: connect and first-byte timeouts reported as TransportError
 * phases (so the forwarder fails over and answers 504 alike), the request's CancelScope
 * honoured without an extra AbortSignal, and Node's keep-alive pool.
 */

/** What the SDK hands a request handler (structurally, @smithy/types HttpRequest). */
export interface SdkHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

/** Per call, through the SDK's handler options: the forwarder's budgets, and the exchange it opened. */
export interface CallContext {
  connectMs: number;
  firstByteMs: number;
  cancel?: Cancellation;
  /** Set once response headers arrived: cancelling it ends the HTTP exchange (a stream the client left). */
  reader?: BodyReader;
}

export const CALL_CONTEXT = 'switchyardCall';

/** The handler options for one call. `requestTimeout` is there for the SDK's type (it shares a member); the context's budgets rule. */
export const callOptions = (call: CallContext) => ({ requestTimeout: call.connectMs + call.firstByteMs, [CALL_CONTEXT]: call });

const contextOf = (options: object | undefined): CallContext | undefined =>
  options !== undefined && CALL_CONTEXT in options ? (options[CALL_CONTEXT] as CallContext) : undefined;

/** Response headers the SDK reads (the Transport exposes lookups, not a list). */
const RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'date',
  'retry-after',
  'x-amzn-errortype',
  'x-amzn-requestid',
  'x-amzn-request-id',
  'x-amz-request-id',
  'x-amzn-invoked-production-variant',
  'x-amzn-sagemaker-content-type',
  'x-amzn-sagemaker-custom-attributes',
  'x-amzn-sagemaker-new-session-id',
  'x-amzn-sagemaker-closed-session-id',
] as const;

const decoder = new TextDecoder();

function urlOf(request: SdkHttpRequest): string {
  const port = request.port ? `:${request.port}` : '';
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(request.query ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) pairs.push(v === null ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(v)}`);
  }
  return `${request.protocol}//${request.hostname}${port}${request.path}${pairs.length > 0 ? `?${pairs.join('&')}` : ''}`;
}

/** Our bodies are JSON text the SDK hashed as UTF-8; a Transport sends strings. */
function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null || typeof body === 'string') return body ?? undefined;
  if (body instanceof Uint8Array) return decoder.decode(body);
  throw new TypeError('SageMaker request bodies must be text or bytes');
}

/**
 * A pull-through web stream over the Transport's reader: the SDK's collectors and event-stream
 * parser read web streams on both runtimes. The first read is held to what is left of the
 * first-byte budget: SageMaker sends a stream's headers at once and its first event when the
 * model has produced something, and the SDK waits for that event before `send` resolves.
 */
function webStream(reader: BodyReader, firstByteDeadline: number, firstByteMs: number): ReadableStream<Uint8Array> {
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = reader.read();
        const r = first ? await beforeDeadline(read, reader, firstByteDeadline, firstByteMs) : await read;
        first = false;
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

async function beforeDeadline<T>(read: Promise<T>, reader: BodyReader, deadline: number, firstByteMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reader.cancel(new Error('first byte timeout')).catch(() => {});
      reject(new TransportError('first_byte', `no response body within ${firstByteMs} ms`, { timeoutMs: firstByteMs }));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
  }
}

export function transportHandler(transport: Transport) {
  return {
    metadata: { handlerProtocol: 'http/1.1' },
    async handle(request: SdkHttpRequest, options?: object) {
      const call = contextOf(options);
      const connectMs = call?.connectMs ?? 3_000;
      const firstByteMs = call?.firstByteMs ?? 60_000;
      // The same budget the Transport gives the headers (fetch cannot tell connect from wait).
      const firstByteDeadline = Date.now() + connectMs + firstByteMs;
      if (request.method !== 'POST' && request.method !== 'GET') throw new TypeError(`unsupported method ${request.method}`);
      const body = bodyText(request.body);
      const response = await transport({
        url: urlOf(request),
        method: request.method,
        headers: request.headers,
        ...(body === undefined ? {} : { body }),
        connectMs,
        firstByteMs,
        ...(call?.cancel ? { cancel: call.cancel } : {}),
      });
      const reader = response.reader();
      if (call) call.reader = reader;
      const headers: Record<string, string> = {};
      for (const name of RESPONSE_HEADERS) {
        const value = response.header(name);
        if (value !== null) headers[name] = value;
      }
      return { response: { statusCode: response.status, headers, body: webStream(reader, firstByteDeadline, firstByteMs) } };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
  };
}
