import { TransportError, type BodyReader, type Transport, type UpstreamResponse } from './transport.ts';

/**
 * Transport over the platform's fetch (Workers). fetch cannot tell connecting from waiting
 * for headers, so one timer covers both (connectMs + firstByteMs) and reports which budget
 * it was in when it fired.
 */
export const fetchTransport = (fetcher: typeof fetch = fetch): Transport =>
  async function fetchUpstream(request) {
    const started = Date.now();
    const budget = request.connectMs + request.firstByteMs;
    const headersTimer = new AbortController();
    const timer = setTimeout(() => headersTimer.abort(), budget);
    const signal = request.signal ? AbortSignal.any([request.signal, headersTimer.signal]) : headersTimer.signal;
    let response: Response;
    try {
      response = await fetcher(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
      });
    } catch (error) {
      if (request.signal?.aborted) throw new TransportError('aborted', 'request aborted', { cause: error });
      if (headersTimer.signal.aborted) {
        const elapsed = Date.now() - started;
        const phase = elapsed < request.connectMs ? 'connect' : 'first_byte';
        throw new TransportError(phase, `no response headers within ${budget} ms`, {
          timeoutMs: phase === 'connect' ? request.connectMs : request.firstByteMs,
          cause: error,
        });
      }
      throw new TransportError('network', error instanceof Error ? error.message : String(error), { cause: error });
    } finally {
      clearTimeout(timer);
    }
    return fetchResponse(response);
  };

function fetchResponse(response: Response): UpstreamResponse {
  return {
    status: response.status,
    header: (name) => response.headers.get(name),
    bytes: async () => new Uint8Array(await response.arrayBuffer()),
    reader(): BodyReader {
      if (!response.body) return { read: async () => ({ done: true }), cancel: async () => {} };
      return response.body.getReader();
    },
    discard: () => {
      response.body?.cancel().catch(() => {});
    },
  };
}
