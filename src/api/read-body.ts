import { errors, GatewayError } from './errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';

/**
 * Reads a JSON request body under a byte limit and a nesting limit (src/api/json-depth.ts). A declared Content-Length over the limit is
 * refused before reading anything; a chunked body is counted as it arrives and abandoned
 * the moment it passes the limit, so an oversized upload never sits in memory.
 */
export async function readJsonBody(request: Request, limitBytes: number): Promise<{ text: string; json: unknown }> {
  const type = request.headers.get('content-type');
  if (type !== null && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw errors.unsupportedMediaType();

  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw errors.bodyTooLarge(limitBytes);
  let text: string;
  try {
    text = declared !== null ? await request.text() : await readCounted(request, limitBytes);
  } catch (error) {
    throw bodyReadFailed(error);
  }
  if (text.length === 0) throw errors.invalidJson('the body is empty');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw errors.invalidJson(error instanceof Error ? error.message : String(error));
  }
  if (nestsDeeperThan(json, MAX_JSON_DEPTH)) throw errors.tooDeep(MAX_JSON_DEPTH);
  return { text, json };
}

async function readCounted(request: Request, limitBytes: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel();
      throw errors.bodyTooLarge(limitBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * A request body that failed to arrive: the client's connection broke or closed mid-upload
 * (the runtime's own limits and framing errors are answered before the request is dispatched).
 * The client left; it is logged as such (499), with what broke, not as the gateway's error.
 */
export function bodyReadFailed(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  const closed = errors.clientClosed();
  return new GatewayError(closed.status, 'The client closed the connection before its request body arrived.', {
    code: closed.code,
    detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}
