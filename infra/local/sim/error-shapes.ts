// The three error bodies real vLLM deployments return, so gateway code meets each of them:
//  - `vllm`:        current vLLM  {"error":{"message","type","param","code":<int>}}
//  - `vllm-legacy`: older vLLM    {"object":"error","message","type","param","code":<int>}
//  - `kserve`:      KServe's OpenAI error handler (kserve/protocol/rest/openai/errors.py):
//                   {"error":{"message","type","param":"","code":"<status as a string>"}}
//                   param is "" rather than null and code is the HTTP status as a string.

export const ERROR_SHAPES = ['vllm', 'vllm-legacy', 'kserve'] as const;
export type ErrorShape = (typeof ERROR_SHAPES)[number];

export function isErrorShape(s: unknown): s is ErrorShape {
  return typeof s === 'string' && (ERROR_SHAPES as readonly string[]).includes(s);
}

const TYPE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BadRequestError',
  401: 'AuthenticationError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  408: 'RequestTimeoutError',
  413: 'RequestEntityTooLargeError',
  422: 'UnprocessableEntityError',
  429: 'TooManyRequestsError',
  500: 'InternalServerError',
  501: 'NotImplementedError',
  502: 'BadGatewayError',
  503: 'ServiceUnavailableError',
  504: 'GatewayTimeoutError',
};

/** vLLM names the type after the status (`BadRequestError`, `NotFoundError`, …). */
export function errorType(status: number): string {
  return TYPE_BY_STATUS[status] ?? (status >= 500 ? 'InternalServerError' : 'BadRequestError');
}

export interface SimError {
  readonly status: number;
  readonly message: string;
  readonly param?: string;
}

export function errorBody(shape: ErrorShape, e: SimError): string {
  const type = errorType(e.status);
  switch (shape) {
    case 'vllm':
      return JSON.stringify({ error: { message: e.message, type, param: e.param ?? null, code: e.status } });
    case 'vllm-legacy':
      return JSON.stringify({ object: 'error', message: e.message, type, param: e.param ?? null, code: e.status });
    case 'kserve':
      return JSON.stringify({ error: { message: e.message, type, param: e.param ?? '', code: String(e.status) } });
  }
}
