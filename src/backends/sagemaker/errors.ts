import { GatewayError } from '../../api/errors.ts';
import { TransportError } from '../transport.ts';
import type { RedactOptions } from '../../api/redact.ts';
import { parseUpstreamError, UpstreamHttpError, type NormalizedUpstreamError } from '../upstream-error.ts';

/**
 * SageMaker's errors in the forwarder's terms, so routing treats a SageMaker endpoint like a
 * vLLM one: a client mistake ends the walk with its 4xx; throttling is a 429 (saturation:
 * the forwarder fails over and keeps away until Retry-After); a failure of SageMaker or of the
 * endpoint is a retryable 5xx, and the container's own answer is judged as vLLM's would be (a
 * 500 it gives this body follows the body: not retried, not counted against the endpoint).
 * Errors are known by name, not class, as the AWS SDK names them (service-error.ts and
 * response-stream.ts raise them in its shape), so this module loads neither the signer nor the codec.
 *
 * | SageMaker (HTTP)                          | treated as  | client sees             | fails over |
 * |-------------------------------------------|-------------|-------------------------|------------|
 * | ValidationError (400)                     | 400         | 400 invalid_request     | no         |
 * | ValidationError "… not found" (400), 404 | 502         | 502 (fleet points at a missing endpoint) | yes |
 * | ModelError (424), container status N      | N           | as vLLM's N: 4xx kept, 429, 5xx → 502/503/504 | as vLLM (502/503/504, 429: yes; 500: no) |
 * | ModelNotReadyException (429)              | 503         | 503                     | yes        |
 * | ThrottlingException (400) / any other 429 | 429         | 429 (saturation)        | yes        |
 * | ServiceUnavailable (503)                  | 503         | 503                     | yes        |
 * | InternalFailure (500), InternalDependencyException (530) | 500/530 | 502          | yes        |
 * | InvalidSignature, UnrecognizedClient, AccessDenied, ExpiredToken … (403) | 403 | 502 (our credentials) | yes |
 * | ModelStreamError, InternalStreamFailure before the first event | 502 | 502    | yes        |
 * Mid-stream, the same exceptions end the client's stream with an SSE error event instead.
 */

interface AwsErrorLike extends Error {
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string | undefined> };
  OriginalStatusCode?: unknown;
  OriginalMessage?: unknown;
  ErrorCode?: unknown;
}

const THROTTLING = new Set(['ThrottlingException', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown']);
const CREDENTIALS = new Set([
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'AccessDeniedException',
  'ExpiredTokenException',
  'ExpiredToken',
]);

/** AWS messages name the account (`… of account 123456789012 …`, ARNs): clients need not learn it. */
const withoutAccount = (message: string): string => message.replace(/\b\d{12}\b/g, '<account>');

const normalized = (name: string, message: string, code: string | null): NormalizedUpstreamError => ({
  message: `SageMaker ${name}: ${message}`,
  type: null,
  param: null,
  code,
});

/** An error of the runtime client (or the Transport under it) as the forwarder's error types; anything unknown is returned as is. */
export function sageMakerError(error: unknown, redact: RedactOptions = {}): unknown {
  if (error instanceof TransportError || error instanceof GatewayError || !(error instanceof Error)) return error;
  const e = error as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  const retryAfter = e.$response?.headers?.['retry-after'] ?? null;
  const message = withoutAccount(e.message || 'no message');
  switch (e.name) {
    case 'ValidationError':
      // A missing endpoint, variant or inference component is the fleet's mistake, not the client's.
      return /\bnot found\b|could not find/i.test(message)
        ? new UpstreamHttpError(502, normalized(e.name, message, 'sagemaker_endpoint_not_found'), null, redact)
        : new UpstreamHttpError(400, { message, type: null, param: null, code: null }, null, redact);
    case 'ModelError': {
      // The container's own answer, wrapped: judge it as vLLM's would be judged.
      const original = typeof e.OriginalStatusCode === 'number' && e.OriginalStatusCode >= 400 && e.OriginalStatusCode <= 599 ? e.OriginalStatusCode : 502;
      const body = typeof e.OriginalMessage === 'string' ? e.OriginalMessage : message;
      return new UpstreamHttpError(original, parseUpstreamError(original, body), retryAfter, redact);
    }
    case 'ModelNotReadyException':
      return new UpstreamHttpError(503, normalized(e.name, message, 'sagemaker_model_not_ready'), retryAfter, redact);
    case 'ServiceUnavailable':
      return new UpstreamHttpError(503, normalized(e.name, message, 'sagemaker_unavailable'), retryAfter, redact);
    case 'InternalFailure':
    case 'InternalDependencyException':
      // SageMaker's own service failing, not the container answering this body: the endpoint's.
      return new UpstreamHttpError(status !== undefined && status >= 500 ? status : 500, normalized(e.name, message, 'sagemaker_internal_failure'), null, { ...redact, fault: 'endpoint' });
    case 'ModelStreamError':
    case 'InternalStreamFailure':
      return new UpstreamHttpError(502, normalized(e.name, `${message}${typeof e.ErrorCode === 'string' ? ` (${e.ErrorCode})` : ''}`, 'sagemaker_stream_error'), null, redact);
  }
  if (THROTTLING.has(e.name) || status === 429) return new UpstreamHttpError(429, normalized(e.name, message, 'sagemaker_throttled'), retryAfter, redact);
  if (CREDENTIALS.has(e.name)) return new UpstreamHttpError(403, normalized(e.name, message, 'sagemaker_auth_failed'), null, redact);
  // A 404 from the runtime itself means a wrong URL in the fleet, never the client's model.
  if (status === 404) return new UpstreamHttpError(502, normalized(e.name, message, 'sagemaker_endpoint_not_found'), null, redact);
  if (status !== undefined && status >= 400 && status <= 599) return new UpstreamHttpError(status, normalized(e.name, message, null), retryAfter, redact);
  return error;
}
