import { describe, expect, it } from 'vitest';
import { errors, GatewayError } from '../../../src/api/errors.ts';
import { sageMakerError } from '../../../src/backends/sagemaker/errors.ts';
import { TransportError } from '../../../src/backends/transport.ts';
import { UpstreamHttpError } from '../../../src/backends/upstream-error.ts';

/** An error shaped like the SDK's (ServiceException: name, message, $metadata, modeled members). */
const sdkError = (name: string, message: string, status: number | undefined, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(message), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra });

const vllmBody = (status: number, message: string) => JSON.stringify({ error: { message, type: status === 400 ? 'BadRequestError' : 'InternalServerError', param: null, code: status } });

describe('SageMaker errors → the forwarder’s errors', () => {
  it.each([
    // name, HTTP status, extra members, client status, upstreamStatus (what the forwarder sees), retryable, code
    ['ValidationError', 400, {}, 400, 400, false, 'invalid_request'],
    ['ValidationError', 400, { message: 'Endpoint sm of account 123456789012 not found.' }, 502, 502, true, 'sagemaker_endpoint_not_found'],
    ['ModelError', 424, { OriginalStatusCode: 400, OriginalMessage: vllmBody(400, 'max_tokens too large') }, 400, 400, false, 'invalid_request'],
    ['ModelError', 424, { OriginalStatusCode: 429, OriginalMessage: vllmBody(429, 'queue full') }, 429, 429, true, 'upstream_error'],
    // The container's 500 to this body follows the body (as vLLM's would): not retried elsewhere.
    ['ModelError', 424, { OriginalStatusCode: 500, OriginalMessage: 'Traceback (most recent call last): …' }, 502, 500, false, 'upstream_error'],
    ['ModelError', 424, {}, 502, 502, true, 'upstream_error'],
    ['ModelNotReadyException', 429, {}, 503, 503, true, 'sagemaker_model_not_ready'],
    ['ThrottlingException', 400, {}, 429, 429, true, 'sagemaker_throttled'],
    ['SomeNewThrottle', 429, {}, 429, 429, true, 'sagemaker_throttled'],
    ['ServiceUnavailable', 503, {}, 503, 503, true, 'sagemaker_unavailable'],
    ['InternalFailure', 500, {}, 502, 500, true, 'sagemaker_internal_failure'],
    ['InternalDependencyException', 530, {}, 502, 530, true, 'sagemaker_internal_failure'],
    ['InvalidSignatureException', 403, {}, 502, 403, true, 'sagemaker_auth_failed'],
    ['IncompleteSignatureException', 400, {}, 502, 403, true, 'sagemaker_auth_failed'],
    ['ExpiredTokenException', 400, {}, 502, 403, true, 'sagemaker_auth_failed'],
    ['ModelStreamError', undefined, { ErrorCode: 'StreamBroken' }, 502, 502, true, 'sagemaker_stream_error'],
    ['InternalStreamFailure', undefined, {}, 502, 502, true, 'sagemaker_stream_error'],
    ['UnknownOperationException', 404, {}, 502, 502, true, 'sagemaker_endpoint_not_found'],
  ] as const)('%s (HTTP %s) %j → %i', (name, status, extra, clientStatus, upstreamStatus, retryable, code) => {
    const { message, ...members } = extra as { message?: string };
    const mapped = sageMakerError(sdkError(name, message ?? `${name} happened`, status, members));
    expect(mapped).toBeInstanceOf(UpstreamHttpError);
    const e = mapped as UpstreamHttpError;
    expect([e.status, e.upstreamStatus, e.retryable, e.code]).toEqual([clientStatus, upstreamStatus, retryable, code]);
    expect(e.message.length).toBeGreaterThan(0);
  });

  it('keeps the container’s message for its client errors, and names SageMaker’s own errors', () => {
    const container = sageMakerError(sdkError('ModelError', 'Received client error (400)…', 424, { OriginalStatusCode: 400, OriginalMessage: vllmBody(400, 'max_tokens too large') })) as UpstreamHttpError;
    expect(container.message).toBe('max_tokens too large');
    expect(container.type).toBe('invalid_request_error');
    const throttled = sageMakerError(sdkError('ThrottlingException', 'Rate exceeded', 400, { $response: { headers: { 'retry-after': '3' } } })) as UpstreamHttpError;
    // SageMaker's own failures reach the client as a status and a summary; the log says which exception.
    expect(throttled.message).toBe('the upstream is at capacity (HTTP 429); retry after the time in Retry-After');
    expect(throttled.detail).toBe('SageMaker ThrottlingException: Rate exceeded');
    expect(throttled.headers).toEqual({ 'retry-after': '3' });
    const missing = sageMakerError(sdkError('ValidationError', 'Endpoint sm of account 123456789012 not found.', 400)) as UpstreamHttpError;
    expect(missing.message).toBe('upstream error (HTTP 502)');
    expect(missing.detail).toBe('SageMaker ValidationError: Endpoint sm of account <account> not found.');
  });

  it('leaves transport failures, gateway errors and unknown failures as they are', () => {
    const timeout = new TransportError('first_byte', 'no headers', { timeoutMs: 5 });
    expect(sageMakerError(timeout)).toBe(timeout);
    const invalid = errors.invalidRequest('bad');
    expect(sageMakerError(invalid)).toBe(invalid);
    const parse = new SyntaxError('Unexpected token');
    expect(sageMakerError(parse)).toBe(parse);
    expect(sageMakerError('string')).toBe('string');
    expect(sageMakerError(invalid)).toBeInstanceOf(GatewayError);
  });
});
