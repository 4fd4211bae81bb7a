import { errors, GatewayError } from './errors.ts';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.ts';

/** How long a request body may take to arrive once the gateway reads it, unless told otherwise (`switchyard serve --body-timeout`). */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

/**
 * `reading`, unless the body has not arrived whole within `timeoutMs`: then a 408. A client that
 * sends its headers and then stalls would otherwise hold the request until the runtime's own
 * limit (Node's requestTimeout: 300 s). The read is left pending, not cancelled: cancelling
 * would destroy the connection before the 408 is written; the runtime drops it with the
 * connection, which is closed after the answer.
 */
export function withinBodyTimeout<T>(reading: Promise<T>, timeoutMs: number): Promise<T> {
  // One promise settled by whichever comes first (no Promise.race, no async frame). A body that
  // has already arrived (Node hands it over whole: node/buffered-incoming.ts) settles `reading`
  // before the microtask queued below runs, so it never arms a timer: only a read still waiting
  // for bytes does, a microtask after it began.
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    reading.then(
      (value) => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        reject(error);
      },
    );
    queueMicrotask(() => {
      if (!settled) timer = setTimeout(() => reject(errors.bodyTimeout(timeoutMs)), timeoutMs);
    });
  });
}

/**
 * Reads a JSON request body under a byte limit, a nesting limit (src/api/json-depth.ts) and a
 * time limit. A declared Content-Length over the limit is refused before reading anything; a
 * chunked body is counted as it arrives and abandoned the moment it passes the limit, so an
 * oversized upload never sits in memory.
 */
export async function readJsonBody(request: Request, limitBytes: number, timeoutMs: number = DEFAULT_BODY_TIMEOUT_MS): Promise<{ text: string; json: unknown }> {
  const type = request.headers.get('content-type');
  if (type !== null && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) throw errors.unsupportedMediaType();

  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw errors.bodyTooLarge(limitBytes);
  let text: string;
  try {
    text = await withinBodyTimeout(declared !== null ? request.text() : readCounted(request, limitBytes), timeoutMs);
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
  // Nesting past the limit takes an opening and a closing bracket per level: a shorter text cannot.
  if (text.length > 2 * MAX_JSON_DEPTH && nestsDeeperThan(json, MAX_JSON_DEPTH)) throw errors.tooDeep(MAX_JSON_DEPTH);
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
