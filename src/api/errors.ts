/**
 * OpenAI-shaped errors. Everything that can go wrong on the request path is thrown as a
 * GatewayError and turned into `{"error":{message,type,param,code}}` in exactly one place
 * (the app's onError), so every failure reaches the client well-formed.
 */

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 408 | 413 | 415 | 422 | 429 | 499 | 500 | 502 | 503 | 504;

export interface ErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

/**
 * OpenAI's error `type` for each status, whatever the upstream said (vLLM's own types, such as
 * `BadRequestError`, never reach a client). 404 is `invalid_request_error` as OpenAI answers
 * an unknown model; an unknown route says `not_found_error` itself.
 */
const TYPE_BY_STATUS: Record<ErrorStatus, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  499: 'invalid_request_error',
  500: 'server_error',
  502: 'server_error',
  503: 'service_unavailable_error',
  504: 'server_error',
};

/** The OpenAI error type a status gets (GatewayError's default, and the SSE error event's). */
export const errorTypeFor = (status: ErrorStatus): string => TYPE_BY_STATUS[status];

export class GatewayError extends Error {
  readonly status: ErrorStatus;
  readonly code: string | null;
  readonly param: string | null;
  readonly type: string;
  /** Extra response headers, e.g. Retry-After on 429/503. */
  readonly headers: Readonly<Record<string, string>>;
  /** What happened upstream, for the operator's log line only (secrets already removed); never sent to the client. */
  readonly detail: string | undefined;

  constructor(
    status: ErrorStatus,
    message: string,
    options: { code?: string | null; param?: string | null; type?: string; headers?: Record<string, string>; cause?: unknown; detail?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.status = status;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.type = options.type ?? TYPE_BY_STATUS[status];
    this.headers = options.headers ?? {};
    this.detail = options.detail;
  }

  toBody(): ErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  toResponse(extraHeaders?: Record<string, string>): Response {
    return new Response(JSON.stringify(this.toBody()), {
      status: this.status,
      headers: { 'content-type': 'application/json', ...this.headers, ...extraHeaders },
    });
  }
}

export const isErrorStatus = (status: number): status is ErrorStatus => status in TYPE_BY_STATUS;

/**
 * Retry-After in whole seconds (at least 1: OpenAI's clients read 0 as "now" and would spin),
 * and Retry-After-Ms, which OpenAI's own clients prefer when present.
 */
export function retryAfterHeaders(ms: number): Record<string, string> {
  const wait = Math.max(0, Math.ceil(ms));
  return { 'retry-after': String(Math.max(1, Math.ceil(wait / 1000))), 'retry-after-ms': String(wait) };
}

export const errors = {
  invalidJson: (detail: string) =>
    new GatewayError(400, `We could not parse the JSON body of your request. (${detail})`, { code: 'invalid_json' }),
  /** JSON.parse itself does not recurse; what the gateway and vLLM do with the value may. */
  tooDeep: (maxDepth: number) =>
    new GatewayError(400, `The JSON body nests deeper than ${maxDepth} levels, which is not accepted.`, { code: 'json_too_deep' }),
  invalidRequest: (message: string, param: string | null = null) =>
    new GatewayError(400, message, { code: 'invalid_request', param }),
  unsupportedMediaType: () =>
    new GatewayError(415, 'Request body must be JSON (Content-Type: application/json).', { code: 'unsupported_media_type' }),
  bodyTimeout: (timeoutMs: number) =>
    new GatewayError(408, `The request body did not arrive within ${timeoutMs} ms.`, { code: 'request_timeout' }),
  bodyTooLarge: (limitBytes: number) =>
    new GatewayError(413, `Request body exceeds the limit of ${limitBytes} bytes.`, { code: 'request_too_large' }),
  missingKey: () =>
    new GatewayError(401, 'You did not provide an API key. Send it as "Authorization: Bearer <key>".', {
      code: 'invalid_api_key',
      headers: { 'www-authenticate': 'Bearer' },
    }),
  invalidKey: () =>
    new GatewayError(401, 'Incorrect, unknown or revoked API key.', {
      code: 'invalid_api_key',
      headers: { 'www-authenticate': 'Bearer' },
    }),
  modelNotFound: (model: string) =>
    new GatewayError(404, `The model \`${model}\` does not exist or you do not have access to it.`, {
      code: 'model_not_found',
      param: 'model',
    }),
  /** The model exists but does not serve this route (an embedding model asked to chat). */
  notServedHere: (model: string, path: string, servedBy: readonly string[]) =>
    new GatewayError(
      400,
      `The model \`${model}\` does not serve ${path}.${servedBy.length > 0 ? ` Models that do: ${servedBy.join(', ')}.` : ' No model of this gateway does.'}`,
      { code: 'model_not_supported', param: 'model' },
    ),
  notFound: (path: string) => new GatewayError(404, `Unknown route: ${path}`, { code: 'not_found', type: 'not_found_error' }),
  methodNotAllowed: (method: string, path: string) =>
    new GatewayError(405, `Method ${method} is not allowed on ${path}.`, { code: 'method_not_allowed' }),
  /** Nothing can serve the request now; `retryAfterMs` says when something should (a breaker's cooldown, the next probe). */
  noRoute: (message: string, retryAfterMs?: number) =>
    new GatewayError(503, message, { code: 'no_available_endpoint', ...(retryAfterMs === undefined ? {} : { headers: retryAfterHeaders(retryAfterMs) }) }),
  /** Every endpoint that could serve the request is saturated (429 / queue full) until its Retry-After. */
  saturated: (model: string, retryAfterMs: number) =>
    new GatewayError(429, `Every endpoint serving \`${model}\` is at capacity; retry after the time in Retry-After.`, {
      code: 'upstream_saturated',
      headers: retryAfterHeaders(retryAfterMs),
    }),
  /** Fairness: the endpoints are full and this tenant already has its share of them (the others still get in). */
  overShare: (model: string, tenant: string, retryAfterMs: number) =>
    new GatewayError(429, `Every endpoint serving \`${model}\` is at capacity and tenant ${tenant} already has its share of it; retry after the time in Retry-After.`, {
      code: 'tenant_share_exceeded',
      headers: retryAfterHeaders(retryAfterMs),
    }),
  /** The key's scope excludes every region serving the model: permanent, so not retryable. */
  outOfScope: (model: string) =>
    new GatewayError(403, `Model \`${model}\` is not served in any region or residency zone your API key allows.`, { code: 'permission_denied', param: 'model' }),
  credentialsMissing: (regions: readonly string[]) =>
    new GatewayError(502, `The gateway has no upstream credentials for region ${regions.join(', ')}; its operator must set them. Nothing was sent.`, {
      code: 'upstream_credentials_missing',
    }),
  upstreamTimeout: (phase: 'connect' | 'first_byte' | 'total', ms: number) =>
    new GatewayError(504, `The upstream did not answer in time (${phase.replace('_', ' ')} timeout after ${ms} ms).`, {
      code: `upstream_${phase}_timeout`,
    }),
  /** The upstream answered, but not with a usable response. `detail` (what broke) is for the log only. */
  upstreamBroken: (detail: string) => new GatewayError(502, 'The upstream sent an unusable response.', { code: 'upstream_error', detail }),
  /** No upstream could be reached at all: the service is unavailable, not answering badly. `detail` (the socket's error, its address) is for the log only. */
  upstreamUnavailable: (detail: string) =>
    new GatewayError(503, 'The upstream could not be reached.', { code: 'upstream_unreachable', headers: { 'retry-after': '1' }, detail }),
  /** The client went away first; nobody reads this, but the request log does. */
  clientClosed: () => new GatewayError(499, 'The client closed the connection before the response.', { code: 'client_closed_request' }),
  internal: () => new GatewayError(500, 'The gateway hit an internal error.', { code: 'internal_error' }),
};
