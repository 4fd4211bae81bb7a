import { bodyReadFailed, DEFAULT_BODY_TIMEOUT_MS, withinBodyTimeout } from './read-body.ts';
import { errors, GatewayError } from './errors.ts';

/**
 * A multipart upload (audio for transcription) is streamed through, not buffered: the gateway
 * reads only as far as the `model` field, which routing needs, and hands the bytes read so far
 * and the rest of the body on to the upstream. When the file part comes first (the openai Node
 * client sends fields in the order given), the bytes up to the model field are held, within
 * the upload limit — unless `stopAtFile` (one model serves the route, so routing needs no
 * field), in which case nothing past the first part's headers is held.
 */
export interface SniffedUpload {
  /** The `model` field, when it came before the point where reading stopped. */
  model: string | undefined;
  /** The bytes read so far, in order. */
  head: Uint8Array[];
  /** The rest of the body; undefined when it has all been read. */
  rest: ReadableStreamDefaultReader<Uint8Array> | undefined;
  bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const CRLFCRLF = encoder.encode('\r\n\r\n');
const MAX_FIELD_BYTES = 64 * 1024;

/** The boundary of a multipart/form-data Content-Type (RFC 7578), or a 415. */
export function multipartBoundary(contentType: string | null): string {
  const m = contentType === null ? null : /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary || boundary.length > 70) {
    throw new GatewayError(415, 'This route takes multipart/form-data with a boundary (as OpenAI clients send a file upload).', { code: 'unsupported_media_type' });
  }
  return boundary;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0] as number;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= haystack.length - needle.length; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Reads a multipart body as far as its `model` field (or its first file part, with `stopAtFile`),
 * within `limitBytes` and `options.timeoutMs` (a 408 past it). The rest, streamed to the upstream,
 * runs under the routing policy's deadline.
 */
export function sniffUpload(request: Request, limitBytes: number, options: { stopAtFile: boolean; timeoutMs?: number }): Promise<SniffedUpload> {
  return withinBodyTimeout(sniff(request, limitBytes, options.stopAtFile), options.timeoutMs ?? DEFAULT_BODY_TIMEOUT_MS);
}

async function sniff(request: Request, limitBytes: number, stopAtFile: boolean): Promise<SniffedUpload> {
  const boundary = multipartBoundary(request.headers.get('content-type'));
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > limitBytes) throw errors.bodyTooLarge(limitBytes);
  if (!request.body) throw errors.invalidRequest('the upload is empty', 'file');
  const delimiter = encoder.encode(`--${boundary}`);
  const nextPart = encoder.encode(`\r\n--${boundary}`);
  const reader = request.body.getReader();
  let buf: Uint8Array = new Uint8Array(0);
  // Where the next part's delimiter is expected.
  let at = 0;
  let first = true;
  // Where to resume looking for the end of a part that is still arriving (a file is scanned once).
  let scanFrom = 0;
  for (;;) {
    const found = parse();
    if (found !== 'more') return { model: found.model, head: buf.length > 0 ? [buf] : [], rest: found.done ? undefined : reader, bytes: buf.length };
    const { done, value } = await reader.read().catch((error: unknown) => {
      throw bodyReadFailed(error);
    });
    if (done) return { model: undefined, head: buf.length > 0 ? [buf] : [], rest: undefined, bytes: buf.length };
    if (buf.length + value.byteLength > limitBytes) {
      await reader.cancel().catch(() => {});
      throw errors.bodyTooLarge(limitBytes);
    }
    buf = append(buf, value);
  }

  /** One step over what has arrived: the model, a stop, or 'more' (needs more bytes). */
  function parse(): { model: string | undefined; done: boolean } | 'more' {
    for (;;) {
      const start = indexOf(buf, first ? delimiter : nextPart, at);
      if (start < 0) return 'more';
      const afterDelimiter = start + (first ? delimiter.length : nextPart.length);
      if (buf.length < afterDelimiter + 2) return 'more';
      // `--` after the delimiter closes the body: no model field in it.
      if (buf[afterDelimiter] === 0x2d && buf[afterDelimiter + 1] === 0x2d) return { model: undefined, done: false };
      const headersEnd = indexOf(buf, CRLFCRLF, afterDelimiter);
      if (headersEnd < 0) {
        if (buf.length - afterDelimiter > MAX_FIELD_BYTES) throw errors.invalidRequest('a multipart part has oversized headers', null);
        return 'more';
      }
      const headers = decoder.decode(buf.subarray(afterDelimiter, headersEnd));
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
      const isFile = /\bfilename\*?=/i.test(disposition);
      const valueStart = headersEnd + CRLFCRLF.length;
      if (isFile && stopAtFile) return { model: undefined, done: false };
      const valueEnd = indexOf(buf, nextPart, Math.max(valueStart, scanFrom));
      if (valueEnd < 0) {
        scanFrom = Math.max(valueStart, buf.length - nextPart.length + 1);
        if (!isFile && buf.length - valueStart > MAX_FIELD_BYTES) throw errors.invalidRequest(`the multipart field "${name ?? ''}" is too long`, name ?? null);
        return 'more';
      }
      if (name === 'model') return { model: decoder.decode(buf.subarray(valueStart, valueEnd)).trim(), done: false };
      first = false;
      at = valueEnd;
      scanFrom = 0;
    }
  }
}
