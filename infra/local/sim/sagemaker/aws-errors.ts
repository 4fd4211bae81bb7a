// Errors as the SageMaker runtime writes them (AWS restJson1): the type in `x-amzn-ErrorType`,
// a JSON body with the message, and a request id. The AWS SDK reads the type from the header
// and the modeled members (Message, OriginalStatusCode, …) from the body.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { errorBody } from '../error-shapes.ts';
import type { SageMakerErrorType } from './faults.ts';

export const FAKE_ACCOUNT = '123456789012';

export function sendAwsError(res: ServerResponse, status: number, type: string, body: Readonly<Record<string, unknown>>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-errortype': type,
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

/** Real SageMaker statuses: throttling is a 400 (the SDK knows it by name), ModelNotReady a 429. */
const STATUS: Record<SageMakerErrorType, number> = {
  ValidationError: 400,
  ModelError: 424,
  ModelNotReadyException: 429,
  ThrottlingException: 400,
  ServiceUnavailable: 503,
  InternalFailure: 500,
};

/** The ModelError SageMaker answers when the container itself answered `status` with `body`. */
export function sendModelError(res: ServerResponse, endpointName: string, status: number, body: string): void {
  const logStream = `arn:aws:logs:us-east-1:${FAKE_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/${endpointName}`;
  sendAwsError(res, 424, 'ModelError', {
    ErrorCode: status >= 500 ? 'SERVER_ERROR_FROM_MODEL' : 'CLIENT_ERROR_FROM_MODEL',
    LogStreamArn: logStream,
    Message: `Received ${status >= 500 ? 'server' : 'client'} error (${status}) from primary with message "${body}". See ${logStream} in account ${FAKE_ACCOUNT} for more information.`,
    OriginalMessage: body,
    OriginalStatusCode: status,
  });
}

/** An injected SageMaker error (see faults.ts). */
export function sendInjectedError(res: ServerResponse, endpointName: string, type: SageMakerErrorType, modelErrorStatus: number): void {
  switch (type) {
    case 'ModelError':
      return sendModelError(res, endpointName, modelErrorStatus, errorBody('vllm', { status: modelErrorStatus, message: `Simulated container failure: HTTP ${modelErrorStatus}.` }));
    case 'ValidationError':
      return sendAwsError(res, STATUS[type], type, { Message: 'Simulated ValidationError: the input failed to satisfy the constraints of the endpoint.' });
    case 'ModelNotReadyException':
      return sendAwsError(res, STATUS[type], type, { Message: `Model for endpoint ${endpointName} is not ready yet (simulated).` });
    case 'ThrottlingException':
      return sendAwsError(res, STATUS[type], type, { message: 'Rate exceeded' });
    case 'ServiceUnavailable':
      return sendAwsError(res, STATUS[type], type, { Message: 'Service is unavailable (simulated).' });
    case 'InternalFailure':
      return sendAwsError(res, STATUS[type], type, { Message: 'An internal failure occurred (simulated).' });
  }
}
