import { serverRoot } from '../health/server-root.ts';
import type { RedactOptions } from '../api/redact.ts';
import type { Backend } from './backend.ts';
import type { Transport } from './transport.ts';
import { parseUpstreamError, UpstreamHttpError } from './upstream-error.ts';

const decoder = new TextDecoder();

/**
 * vLLM's OpenAI server, plain or behind KServe. The endpoint's baseUrl already carries the
 * path style (`/v1` for vLLM and the kserve-vllmserver runtime, `/openai/v1` for KServe's
 * Hugging Face runtime), so both styles are one string concatenation here.
 */
export const vllmBackend = (transport: Transport, redact: RedactOptions = {}): Backend => ({
  kind: 'vllm',
  async send(call) {
    const headers: Record<string, string> = {
      ...call.headers,
      'content-type': call.contentType ?? 'application/json',
      accept: 'application/json, text/event-stream',
      'x-request-id': call.requestId,
    };
    if (call.credential) headers['authorization'] = `Bearer ${call.credential}`;
    const url = call.route.under === 'root' ? `${serverRoot(call.endpoint)}${call.route.path}` : `${call.endpoint.baseUrl}/${call.route.path}`;
    const response = await transport({
      url,
      method: 'POST',
      headers,
      body: call.body,
      connectMs: call.connectMs,
      firstByteMs: call.firstByteMs,
      ...(call.cancel ? { cancel: call.cancel } : {}),
    });
    if (response.status >= 200 && response.status < 300) return response;
    let text = '';
    try {
      text = decoder.decode(await response.bytes());
    } catch {
      // The error body itself failed to arrive; the status alone still says enough.
    }
    throw new UpstreamHttpError(response.status, parseUpstreamError(response.status, text), response.header('retry-after'), {
      secrets: call.credential === undefined ? redact.secrets : [call.credential, ...(redact.secrets ?? [])],
      ...(redact.internal ? { internal: redact.internal } : {}),
    });
  },
});
