import { errors } from './errors.ts';
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
  let text: string;
  if (declared !== null) {
    if (Number(declared) > limitBytes) throw errors.bodyTooLarge(limitBytes);
    text = await request.text();
  } else {
    text = await readCounted(request, limitBytes);
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
