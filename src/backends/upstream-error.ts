import { GatewayError, type ErrorStatus } from '../api/errors.ts';
import { redactForClient, safeIdentifier, withoutSecrets, type RedactOptions } from '../api/redact.ts';

/**
 * vLLM and KServe answer errors in three shapes; clients get one (OpenAI's):
 *  - vLLM today:      {"error":{"message","type","param","code":400}}
 *  - older vLLM:      {"object":"error","message","type","param","code":400}
 *  - KServe wrapper:  {"error":"<message>"} or {"error":{"message","code":"<string>"}}
 * Anything else (an ingress HTML page, plain text) becomes a short excerpt of the body.
 */
export interface NormalizedUpstreamError {
  message: string;
  type: string | null;
  param: string | null;
  code: string | null;
}

/** How much of an upstream's text the operator log keeps (a traceback, an ingress page). */
const MAX_DETAIL_CHARS = 2_000;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const codeOf = (v: unknown): string | null => (typeof v === 'number' ? String(v) : str(v));

export function parseUpstreamError(status: number, body: string): NormalizedUpstreamError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, MAX_DETAIL_CHARS);
    return { message: excerpt || `upstream answered HTTP ${status} with an empty body`, type: null, param: null, code: null };
  }
  if (json !== null && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    const inner = o['error'];
    if (typeof inner === 'string') {
      return { message: inner, type: str(o['type']), param: null, code: codeOf(o['code']) };
    }
    if (inner !== null && typeof inner === 'object') {
      const e = inner as Record<string, unknown>;
      return { message: str(e['message']) ?? `upstream answered HTTP ${status}`, type: str(e['type']), param: str(e['param']), code: codeOf(e['code']) };
    }
    if (o['object'] === 'error' || typeof o['message'] === 'string') {
      return { message: str(o['message']) ?? `upstream answered HTTP ${status}`, type: str(o['type']), param: str(o['param']), code: codeOf(o['code']) };
    }
    if (typeof o['detail'] === 'string') {
      // FastAPI's default shape, seen when a route or method does not exist.
      return { message: o['detail'], type: null, param: null, code: null };
    }
    if (Array.isArray(o['detail'])) {
      // FastAPI's validation errors: [{loc: [...], msg, type}, ...].
      const reasons = o['detail'].map((d: unknown) => {
        const item = (d ?? {}) as Record<string, unknown>;
        const loc = Array.isArray(item['loc']) ? item['loc'].map(String).join('.') : '';
        return `${loc ? `${loc}: ` : ''}${typeof item['msg'] === 'string' ? item['msg'] : JSON.stringify(d)}`;
      });
      if (reasons.length > 0) return { message: reasons.join('; ').slice(0, MAX_DETAIL_CHARS), type: null, param: null, code: null };
    }
  }
  return { message: `upstream answered HTTP ${status}`, type: null, param: null, code: null };
}

/**
 * The status the client sees. Client mistakes the upstream caught keep their 4xx; problems
 * the client cannot fix (our credentials, upstream crashes) become 502/503/504.
 */
export function clientStatusFor(upstreamStatus: number): ErrorStatus {
  switch (upstreamStatus) {
    case 400: case 404: case 413: case 422: return upstreamStatus;
    case 408: case 504: return 504;
    case 429: return 429;
    case 503: return 503;
    default: return 502;
  }
}

/**
 * Whose failure an upstream's answer is, which decides what the forwarder does with it:
 *  - `endpoint`: the server or what stands in front of it cannot serve anyone right now: a
 *    gateway failure (502, 503, 504, 408), the gateway's own credentials refused (401, 403), a
 *    redirect (never followed: the ingress is misconfigured). Counts against the endpoint's
 *    breaker; another endpoint may well succeed.
 *  - `saturated`: 429, the server is full. Avoided until Retry-After; another endpoint may serve.
 *  - `request`: everything else, a 4xx about the body or a 500 / 501 / 505+ the body caused (a
 *    chat template that recursed, a tokenizer that choked). Every server of the model runs the
 *    same code on the same body: it is not retried elsewhere and never counts against the
 *    endpoint, so no tenant can take a model offline for the others by sending bad requests.
 * Envoy draws the same line (its `gateway-error` retry and outlier rules against plain `5xx`).
 */
export type UpstreamFault = 'endpoint' | 'saturated' | 'request';

export function upstreamFault(status: number): UpstreamFault {
  if (status === 429) return 'saturated';
  if (status === 502 || status === 503 || status === 504 || status === 408 || status === 401 || status === 403) return 'endpoint';
  if (status >= 300 && status < 400) return 'endpoint';
  return 'request';
}

/** What the client is told when the upstream's own words are not for it: the status and whose failure it was. */
function summary(upstreamStatus: number, fault: UpstreamFault): string {
  if (upstreamStatus === 401 || upstreamStatus === 403) return `the upstream rejected the gateway's credentials (HTTP ${upstreamStatus})`;
  if (upstreamStatus >= 300 && upstreamStatus < 400) return `the upstream answered with a redirect (HTTP ${upstreamStatus}), which the gateway never follows`;
  if (fault === 'saturated') return `the upstream is at capacity (HTTP ${upstreamStatus}); retry after the time in Retry-After`;
  if (fault === 'request') return `the upstream failed on this request (HTTP ${upstreamStatus}); it was not sent to another endpoint, which would fail it the same way`;
  return `upstream error (HTTP ${upstreamStatus})`;
}

/**
 * An upstream's non-2xx answer, normalized. `fault` says whose failure it is (and so whether
 * another endpoint may succeed). The client gets the upstream's own words only for its own
 * mistakes (400, 404, 413, 422: what to fix), redacted; otherwise a status and a fixed summary.
 * `detail`, for the operator's log, keeps the upstream's text with secrets removed.
 */
export class UpstreamHttpError extends GatewayError {
  readonly upstreamStatus: number;
  readonly fault: UpstreamFault;

  constructor(upstreamStatus: number, normalized: NormalizedUpstreamError, retryAfter: string | null, redact: RedactOptions & { fault?: UpstreamFault } = {}) {
    const status = clientStatusFor(upstreamStatus);
    const fault = redact.fault ?? upstreamFault(upstreamStatus);
    const clientFault = status === 400 || status === 404 || status === 413 || status === 422;
    const said = clientFault ? redactForClient(normalized.message, redact) : '';
    const code = safeIdentifier(normalized.code);
    super(status, said || summary(upstreamStatus, fault), {
      code: code && !/^\d+$/.test(code) ? code : clientFault ? 'invalid_request' : 'upstream_error',
      param: safeIdentifier(normalized.param),
      ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}),
      detail: withoutSecrets(normalized.message, redact),
    });
    this.upstreamStatus = upstreamStatus;
    this.fault = fault;
  }

  /** Another endpoint may succeed where this one failed. */
  get retryable(): boolean {
    return this.fault !== 'request';
  }
}
