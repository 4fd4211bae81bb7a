import type { BodyReader } from '../transport.ts';
import type { ResponseStreamEvent } from './response-stream.ts';
import type { StreamTranslator } from './stream-translate.ts';

const encoder = new TextEncoder();

/**
 * The client-facing body of a SageMaker stream: OpenAI SSE bytes, translated from the
 * response-stream events one read at a time (no read-ahead, like the relay). An exception
 * frame, a broken connection or an `error` line makes read() reject; the relay then ends the client's
 * stream with an SSE error event instead of [DONE].
 */
export function translatingReader(
  events: AsyncIterator<ResponseStreamEvent>,
  translator: StreamTranslator,
  abort: () => void,
): BodyReader {
  let ended = false;
  return {
    async read() {
      try {
        while (!ended) {
          const result = await events.next();
          let text: string;
          if (result.done) {
            ended = true;
            text = translator.end();
          } else {
            const bytes = result.value.PayloadPart?.Bytes;
            text = bytes && bytes.length > 0 ? translator.push(bytes) : '';
          }
          if (text !== '') return { done: false, value: encoder.encode(text) };
        }
        return { done: true };
      } catch (error) {
        // The relay stops reading after a failed read: release the connection here.
        ended = true;
        abort();
        throw error;
      }
    },
    async cancel() {
      if (ended) return;
      ended = true;
      // Ends the HTTP exchange under the event-stream decoder; its pending read then settles.
      abort();
      events.return?.().catch(() => {});
    },
  };
}
