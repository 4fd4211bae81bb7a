import { EventStreamCodec, getChunkedStream } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/core/serde';
import { SageMakerServiceError } from './service-error.ts';

/** One event of InvokeEndpointWithResponseStream's body (exceptions are thrown, not yielded). */
export interface ResponseStreamEvent {
  PayloadPart?: { Bytes?: Uint8Array };
}

/** The exceptions SageMaker's ResponseStream union models (others are thrown by name with the raw payload). */
const MODELED_EXCEPTIONS = new Set(['ModelStreamError', 'InternalStreamFailure']);

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * The events of an `application/vnd.amazon.eventstream` body, as the SDK yields them: smithy's
 * own framing (messages cut out of arbitrary chunks) and codec (both CRCs checked), then the
 * SDK's unmarshalling rules. A `PayloadPart` event carries bytes; other event types are
 * skipped; an `exception` message throws the modeled exception (name from `:exception-type`,
 * members from its JSON payload), an `error` message throws `:error-code` / `:error-message`.
 */
export async function* responseStreamEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ResponseStreamEvent, void, undefined> {
  for await (const frame of getChunkedStream(chunks)) {
    const { headers, body } = codec.decode(frame);
    const header = (name: string): string | undefined => {
      const value = headers[name]?.value;
      return typeof value === 'string' ? value : undefined;
    };
    const messageType = header(':message-type');
    if (messageType === 'event') {
      if (header(':event-type') === 'PayloadPart') yield { PayloadPart: { Bytes: body } };
      continue;
    }
    if (messageType === 'exception') throw streamException(header(':exception-type') ?? 'UnknownError', body);
    if (messageType === 'error') throw new SageMakerServiceError(header(':error-code') ?? 'UnknownError', header(':error-message') || 'UnknownError', {});
    throw new Error(`Unrecognizable event type: ${header(':event-type') ?? messageType ?? 'none'}`);
  }
}

function streamException(type: string, payload: Uint8Array): Error {
  const text = toUtf8(payload);
  if (!MODELED_EXCEPTIONS.has(type)) return new SageMakerServiceError(type, text, {});
  let members: Record<string, unknown> = {};
  if (payload.byteLength > 0) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) members = parsed as Record<string, unknown>;
    } catch {
      // A payload that is not JSON still ends the stream with this exception's name.
    }
  }
  const message = members.message ?? members.Message;
  return new SageMakerServiceError(type, typeof message === 'string' ? message : 'Unknown', members);
}
