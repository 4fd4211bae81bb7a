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
    // One controller: the headers timer and a cancellation (client gone, deadline) both end it.
    const controller = new AbortController();
    let headersTimedOut = false;
    const timer = setTimeout(() => {
      headersTimedOut = true;
      controller.abort();
    }, budget);
    request.cancel?.onCancel(() => controller.abort());
    const signal = controller.signal;
    let response: Response;
    try {
      response = await fetcher(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        ...(typeof request.body === 'object' ? { duplex: 'half' } : {}),
        // Never follow an upstream's redirect: it would re-send the client's prompt (and our
        // credentials) to a host outside the fleet. A 3xx is an upstream failure like any other.
        redirect: 'manual',
        signal,
      } as RequestInit);
    } catch (error) {
      if (request.cancel?.cancelled) throw new TransportError('aborted', 'request aborted', { cause: error });
      if (headersTimedOut) {
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
