import type { Duplex } from 'node:stream';

/** What Node's HTTP parser refuses, and what the client is told: OpenAI's error shape, like every other answer. */
function refusal(code: string | undefined): { status: number; reason: string; code: string; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, reason: 'Request Header Fields Too Large', code: 'request_header_fields_too_large', message: 'The request headers are larger than this gateway accepts.' };
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, reason: 'Request Timeout', code: 'request_timeout', message: 'The request did not arrive in time.' };
  }
  return { status: 400, reason: 'Bad Request', code: 'bad_request', message: 'The request is not valid HTTP/1.1.' };
}

/**
 * Node's `clientError`: a request its parser refused before the app saw it (a malformed request
 * line or header, headers over the limit, broken chunked framing). Node's own answer is a bare
 * status line; this one carries the JSON error every other answer has. A socket already gone,
 * or one whose response has begun, is only closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  const r = refusal(error.code);
  const body = JSON.stringify({ error: { message: r.message, type: 'invalid_request_error', param: null, code: r.code } });
  socket.end(`HTTP/1.1 ${r.status} ${r.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
