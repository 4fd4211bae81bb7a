import type { IncomingMessage, ServerResponse } from 'node:http';
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
  // The parser refuses every later piece of the same bytes too: the socket is answered and lingering already.
  if (lingering.has(socket)) return;
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (error.code === 'ECONNRESET' || !socket.writable || inProgress) {
    socket.destroy();
    return;
  }
  endWith(socket, refusal(error.code));
}

const lingering = new WeakSet<Duplex>();

/** An OpenAI error written straight on the socket, which then closes. */
function endWith(socket: Duplex, r: { status: number; reason: string; code: string; message: string }): void {
  const body = JSON.stringify({ error: { message: r.message, type: 'invalid_request_error', param: null, code: r.code } });
  socket.end(`HTTP/1.1 ${r.status} ${r.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  // A lingering close: what the client is still sending (the rest of a head too large) is read
  // and dropped until it hangs up, so the answer is not lost to a reset; bounded in time.
  lingering.add(socket);
  socket.on('data', () => {});
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}

/** How long a connection refused mid-request keeps reading (and dropping) what the client still sends before it closes. */
export const LINGER_MS = 2_000;

/**
 * Node's `connect`: a CONNECT request (a proxy tunnel), which Node never gives the app and
 * answers by dropping the connection. The gateway is no proxy: 405, in OpenAI's shape.
 */
export function answerConnect(_request: IncomingMessage, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  endWith(socket, { status: 405, reason: 'Method Not Allowed', code: 'method_not_allowed', message: 'Method CONNECT is not allowed: this gateway is not a proxy.' });
}

/**
 * A request the Node adapter cannot make a URL of (an asterisk or malformed absolute target, a
 * backslash in the path, a Host header that is not a host) or an HTTP/1.1 request without Host:
 * the adapter's own answer is a bare 400.
 */
export function invalidTarget(): Response {
  const body = { error: { message: 'The request target or its Host header is not valid.', type: 'invalid_request_error', param: null, code: 'invalid_request_target' } };
  return new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json', connection: 'close' } });
}

/** Node's `checkExpectation`: an Expect other than 100-continue, which Node answers with a bare 417. */
export function answerExpectation(_request: IncomingMessage, response: ServerResponse): void {
  const body = JSON.stringify({ error: { message: 'The only Expect this gateway meets is 100-continue.', type: 'invalid_request_error', param: null, code: 'expectation_failed' } });
  response.writeHead(417, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' }).end(body);
}
