import type { RedactOptions } from '../../api/redact.ts';
import type { Backend } from '../backend.ts';
import type { BodyReader, UpstreamResponse } from '../transport.ts';
import { UpstreamHttpError } from '../upstream-error.ts';
import { sageMakerClients, type ClientDeps } from './client.ts';
import { sageMakerError } from './errors.ts';
import { metaFor } from './openai-shapes.ts';
import { lmiRequest, readRequest } from './request.ts';
import { openAIBody } from './response-body.ts';
import type { CallBudget } from './runtime-client.ts';
import { translatingReader } from './stream-reader.ts';
import { jsonLinesTranslator, openAISseTranslator } from './stream-translate.ts';

const encoder = new TextEncoder();

/**
 * SageMaker real-time endpoints behind the Backend interface: InvokeEndpoint for whole
 * answers, InvokeEndpointWithResponseStream for streams, both built as the AWS SDK builds them,
 * signed with smithy's SigV4 and read with smithy's event-stream codec, over the gateway's
 * Transport (runtime-client.ts). Whatever the container's output style,
 * the response is OpenAI's: completion JSON, or `data: {chunk}` … `data: [DONE]`, so the
 * relay and the response cache take it like vLLM's. Credentials come from secrets by the
 * names the fleet gives (`deps.secret`, the same lookup the region bearer tokens use).
 */
export function sageMakerBackend(deps: ClientDeps & { now?: () => number; redact?: RedactOptions }): Backend {
  const clientFor = sageMakerClients(deps);
  const now = deps.now ?? Date.now;
  return {
    kind: 'sagemaker',
    async send(call) {
      const target = call.endpoint.sagemaker;
      if (!target) throw new Error(`endpoint ${call.endpoint.id} is not a SageMaker endpoint`);
      const route = call.route.path;
      // Routing keeps other routes away from SageMaker (src/route/filters/serves-model.ts); this is the backstop.
      if (call.route.under !== 'openai' || (route !== 'chat/completions' && route !== 'completions') || typeof call.body !== 'string') {
        throw new UpstreamHttpError(404, { message: `SageMaker endpoints serve chat and text completions only, not ${route}`, type: null, param: null, code: 'unsupported_route' }, null);
      }
      const request = readRequest(route, call.body);
      const body = target.outputStyle === 'json-lines' ? lmiRequest(request) : call.body;
      const meta = metaFor(request.kind, call.requestId, call.endpoint.model, now());
      const budget: CallBudget = { connectMs: call.connectMs, firstByteMs: call.firstByteMs, ...(call.cancel ? { cancel: call.cancel } : {}) };
      const input = {
        EndpointName: target.endpointName,
        Body: body,
        ContentType: 'application/json',
        ...(target.inferenceComponent ? { InferenceComponentName: target.inferenceComponent } : {}),
        ...(target.targetVariant ? { TargetVariant: target.targetVariant } : {}),
      };
      try {
        const client = await clientFor(call.endpoint.id, target);
        if (!request.stream) {
          const bytes = await client.invokeEndpoint({ ...input, Accept: 'application/json' }, budget);
          return jsonResponse(openAIBody(target.outputStyle, request, meta, bytes));
        }
        // Resolved once the first event has arrived (within the first-byte budget): an exception
        // frame there was thrown and can still fail over; from here on the client gets 200 and
        // errors become SSE error events.
        const stream = await client.invokeEndpointWithResponseStream({ ...input, Accept: target.outputStyle === 'json-lines' ? 'application/jsonlines' : 'text/event-stream' }, budget);
        const translator = target.outputStyle === 'json-lines' ? jsonLinesTranslator(request, meta) : openAISseTranslator(request, meta);
        return sseResponse(translatingReader(stream.events, translator, stream.abort));
      } catch (error) {
        throw sageMakerError(error, deps.redact);
      }
    },
  };
}

function jsonResponse(text: string): UpstreamResponse {
  const bytes = encoder.encode(text);
  return {
    status: 200,
    header: (name) => (name.toLowerCase() === 'content-type' ? 'application/json' : null),
    bytes: async () => bytes,
    reader: (): BodyReader => {
      let sent = false;
      return {
        read: async () => {
          if (sent) return { done: true };
          sent = true;
          return { done: false, value: bytes };
        },
        cancel: async () => {},
      };
    },
    discard: () => {},
  };
}

function sseResponse(reader: BodyReader): UpstreamResponse {
  return {
    status: 200,
    header: (name) => (name.toLowerCase() === 'content-type' ? 'text/event-stream; charset=utf-8' : null),
    async bytes() {
      const chunks: Uint8Array[] = [];
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
      const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return all;
    },
    reader: () => reader,
    discard: () => void reader.cancel().catch(() => {}),
  };
}
