/**
 * SageMaker's errors as the AWS SDK raised them (a ServiceException: `name` the error type,
 * `message`, `$metadata.httpStatusCode`, the hidden `$response`, and the error's members such
 * as ModelError's OriginalStatusCode): errors.ts maps them by name, so the forwarder, the
 * breaker and clients see what they saw when the SDK sat here.
 */
export class SageMakerServiceError extends Error {
  readonly $metadata: { readonly httpStatusCode?: number; readonly requestId?: string };
  /** The HTTP response an error answer came in (errors.ts reads Retry-After from it). */
  readonly $response: { readonly statusCode: number; readonly headers: Readonly<Record<string, string>> } | undefined;

  constructor(name: string, message: string, members: Readonly<Record<string, unknown>>, response?: { statusCode: number; headers: Record<string, string> }) {
    super(message);
    // Members first, so a body member called `name` or `message` cannot rename the error.
    Object.assign(this, members);
    this.name = name;
    this.message = message;
    const requestId = response?.headers['x-amzn-requestid'] ?? response?.headers['x-amzn-request-id'] ?? response?.headers['x-amz-request-id'];
    this.$metadata = { ...(response ? { httpStatusCode: response.statusCode } : {}), ...(requestId ? { requestId } : {}) };
    this.$response = response;
  }
}

/** Response headers an error answer is read with. */
export const ERROR_HEADERS = ['x-amzn-errortype', 'retry-after', 'x-amzn-requestid', 'x-amzn-request-id', 'x-amz-request-id'] as const;

const decoder = new TextDecoder();
/** How much of a body that is not JSON is kept as the error's message (a proxy's HTML page, say). */
const TEXT_MESSAGE_LIMIT = 512;

/**
 * An HTTP error answer (status ≥ 300) as the SDK's restJson1 protocol reads it: the type from
 * `x-amzn-ErrorType` (else the body's `code`, else `__type`; `ns#Name:extra` cut to `Name`),
 * the message from the body's `message` or `Message`, every other body member kept on the error.
 * One deliberate difference: the SDK throws a bare SyntaxError for a body that is not JSON;
 * here it is the error its status and header say, its text the message.
 */
export function httpServiceError(statusCode: number, headers: Record<string, string>, body: Uint8Array): SageMakerServiceError {
  const text = decoder.decode(body);
  let data: Record<string, unknown> = {};
  let notJson = false;
  if (text.trim() !== '') {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Record<string, unknown>;
      else notJson = true;
    } catch {
      notJson = true;
    }
  }
  const { message: lower, Message: upper, ...members } = data;
  const message = nonEmpty(lower) ?? nonEmpty(upper) ?? (notJson ? text.slice(0, TEXT_MESSAGE_LIMIT) : 'UnknownError');
  return new SageMakerServiceError(errorName(headers, data) ?? 'Unknown', message, members, { statusCode, headers });
}

function errorName(headers: Record<string, string>, data: Record<string, unknown>): string | undefined {
  const header = headers['x-amzn-errortype'];
  if (header !== undefined) return sanitized(header);
  const codeKey = Object.keys(data).find((k) => k.toLowerCase() === 'code');
  const code = codeKey === undefined ? undefined : data[codeKey];
  if (typeof code === 'string' || typeof code === 'number') return sanitized(String(code));
  if (typeof data.__type === 'string' || typeof data.__type === 'number') return sanitized(String(data.__type));
  return undefined;
}

/** smithy's sanitizeErrorCode: `a,b` → `a`, `a:b` → `a`, `ns#Name` → `Name`. */
function sanitized(raw: string): string {
  let value = raw.split(',')[0] ?? raw;
  value = value.split(':')[0] ?? value;
  return value.includes('#') ? (value.split('#')[1] ?? value) : value;
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
