import { GatewayError, type ErrorStatus } from '../api/errors.ts';
import { redactForClient, withoutSecrets, type RedactOptions } from '../api/redact.ts';

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

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const codeOf = (v: unknown): string | null => (typeof v === 'number' ? String(v) : str(v));

export function parseUpstreamError(status: number, body: string): NormalizedUpstreamError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
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
      if (reasons.length > 0) return { message: reasons.join('; ').slice(0, 200), type: null, param: null, code: null };
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

/** An upstream's non-2xx answer, normalized. `retryable` says another endpoint may succeed. */
export class UpstreamHttpError extends GatewayError {
  readonly upstreamStatus: number;
  readonly retryable: boolean;
  /** What the upstream said, secrets removed: for the operator log, never for the client. */
  readonly detail: string;

  constructor(upstreamStatus: number, normalized: NormalizedUpstreamError, retryAfter: string | null, redact: RedactOptions = {}) {
    const status = clientStatusFor(upstreamStatus);
    const clientFault = status === 400 || status === 404 || status === 413 || status === 422;
    // The upstream's own words reach the client, without its hosts, addresses, paths or secrets.
    const said = redactForClient(normalized.message, redact);
    const message = clientFault
      ? said
      : upstreamStatus === 401 || upstreamStatus === 403
        ? `the upstream rejected the gateway's credentials (HTTP ${upstreamStatus})`
        : `upstream error (HTTP ${upstreamStatus}): ${said}`;
    super(status, message, {
      code: normalized.code && !/^\d+$/.test(normalized.code) ? normalized.code : clientFault ? 'invalid_request' : 'upstream_error',
      param: normalized.param,
      ...(retryAfter ? { headers: { 'retry-after': retryAfter } } : {}),
    });
    this.upstreamStatus = upstreamStatus;
    this.retryable = !clientFault;
    this.detail = withoutSecrets(normalized.message, redact);
  }
}
