import type { Cancellation } from '../cancellation.ts';
import { TransportError, type BodyReader, type Transport } from '../transport.ts';
import { invocationSigner, signedInvocation, updatedClockOffset, type AwsCredentials, type InvocationInput, type Operation } from './invocation.ts';
import { responseStreamEvents, type ResponseStreamEvent } from './response-stream.ts';
import { ERROR_HEADERS, httpServiceError } from './service-error.ts';

/** Per call: the forwarder's budgets and the request's CancelScope. */
export interface CallBudget {
  connectMs: number;
  firstByteMs: number;
  cancel?: Cancellation;
}

export interface RuntimeClientOptions {
  transport: Transport;
  awsRegion: string;
  credentials: AwsCredentials;
  /** The runtime's base URL: AWS's regional one, or the fleet's endpointUrl. */
  runtimeUrl: string;
}

export interface ResponseStream {
  /** The events, the first one already received. */
  events: AsyncIterator<ResponseStreamEvent>;
  /** Ends the HTTP exchange (the client left, or the stream failed). */
  abort(): void;
}

/** SageMaker's runtime API for one endpoint: the two calls the backend makes. */
export interface RuntimeClient {
  /** InvokeEndpoint: the container's whole answer. */
  invokeEndpoint(input: InvocationInput, budget: CallBudget): Promise<Uint8Array>;
  /** InvokeEndpointWithResponseStream, resolved once the first event has arrived. */
  invokeEndpointWithResponseStream(input: InvocationInput, budget: CallBudget): Promise<ResponseStream>;
}

/**
 * The two REST calls, signed with smithy's SigV4 and sent over the gateway's own Transport
 * (fetch on Workers, the undici Pool on Node): connect and first-byte timeouts are
 * TransportError phases as on the vLLM path, the CancelScope ends the exchange. The body's
 * first read is held to what is left of the first-byte budget: SageMaker sends a stream's
 * headers at once and its first event when the model has produced something, and a stream is
 * only handed on once that event arrived (an exception there can still fail over), as the SDK
 * did. Errors are thrown as the SDK threw them (service-error.ts, response-stream.ts).
 */
export function runtimeClient(options: RuntimeClientOptions): RuntimeClient {
  const signer = invocationSigner(options.awsRegion, options.credentials);
  let clockOffsetMs = 0;

  async function exchange(operation: Operation, input: InvocationInput, budget: CallBudget): Promise<{ reader: BodyReader; chunks: AsyncIterable<Uint8Array> }> {
    const request = await signedInvocation(signer, options.runtimeUrl, operation, input, new Date(Date.now() + clockOffsetMs));
    // The same budget the Transport gives the headers (fetch cannot tell connect from wait).
    const sentAt = Date.now();
    const firstByteDeadline = sentAt + budget.connectMs + budget.firstByteMs;
    const response = await options.transport({
      ...request,
      connectMs: budget.connectMs,
      firstByteMs: budget.firstByteMs,
      ...(budget.cancel ? { cancel: budget.cancel } : {}),
    });
    clockOffsetMs = updatedClockOffset({ date: response.header('date'), age: response.header('age') }, clockOffsetMs, sentAt);
    const reader = response.reader();
    const chunks = bodyChunks(reader, firstByteDeadline, budget.firstByteMs);
    if (response.status >= 300) {
      const headers: Record<string, string> = {};
      for (const name of ERROR_HEADERS) {
        const value = response.header(name);
        if (value !== null) headers[name] = value;
      }
      const body = await collect(chunks, ERROR_BODY_LIMIT);
      if (body.byteLength >= ERROR_BODY_LIMIT) await reader.cancel(new Error('error body too long')).catch(() => {});
      throw httpServiceError(response.status, headers, body);
    }
    return { reader, chunks };
  }

  return {
    async invokeEndpoint(input, budget) {
      return collect((await exchange('InvokeEndpoint', input, budget)).chunks);
    },
    async invokeEndpointWithResponseStream(input, budget) {
      const { reader, chunks } = await exchange('InvokeEndpointWithResponseStream', input, budget);
      const abort = () => void reader.cancel(new Error('stream abandoned')).catch(() => {});
      const events = responseStreamEvents(chunks);
      let first: IteratorResult<ResponseStreamEvent, void>;
      try {
        first = await events.next();
      } catch (error) {
        abort();
        throw error;
      }
      return { events: startingWith(first, events), abort };
    },
  };
}

/** AWS error bodies are a few hundred bytes: more than this (a proxy's page, say) is cut, the rest left unread. */
const ERROR_BODY_LIMIT = 64 * 1024;

/** The body's chunks; the first read must come before the deadline. */
async function* bodyChunks(reader: BodyReader, firstByteDeadline: number, firstByteMs: number): AsyncGenerator<Uint8Array, void, undefined> {
  let r = await beforeDeadline(reader, firstByteDeadline, firstByteMs);
  while (!r.done) {
    yield r.value;
    r = await reader.read();
  }
}

async function beforeDeadline(reader: BodyReader, deadline: number, firstByteMs: number): ReturnType<BodyReader['read']> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reader.cancel(new Error('first byte timeout')).catch(() => {});
      reject(new TransportError('first_byte', `no response body within ${firstByteMs} ms`, { timeoutMs: firstByteMs }));
    }, Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([reader.read(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The body's bytes, at most `limit` of them (the rest is not read). */
async function collect(chunks: AsyncIterable<Uint8Array>, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of chunks) {
    const kept = length + chunk.byteLength > limit ? chunk.subarray(0, limit - length) : chunk;
    parts.push(kept);
    length += kept.byteLength;
    if (length >= limit) break;
  }
  if (parts.length === 1 && parts[0]) return parts[0];
  const all = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.byteLength;
  }
  return all;
}

/** An iterator that yields `first` (already read) before the rest of `rest`. */
function startingWith<T>(first: IteratorResult<T, void>, rest: AsyncIterator<T, void>): AsyncIterator<T, void> {
  let pending: IteratorResult<T, void> | undefined = first;
  return {
    next: async () => {
      if (pending === undefined) return rest.next();
      const out = pending;
      pending = undefined;
      return out;
    },
    return: async () => {
      pending = undefined;
      return rest.return ? rest.return() : { done: true, value: undefined };
    },
  };
}
