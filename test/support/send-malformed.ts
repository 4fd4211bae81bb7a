// Sends a case of test/support/malformed-requests.ts to a gateway over the network and reads
// its answer: fetch cases with fetch, raw cases as bytes on a socket (node:net) with a small
// HTTP/1.1 response reader. Shared by the Node property test and the fuzz benchmark.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { toRequest, type Answer, type MalformedCase, type RawCase } from './malformed-requests.ts';

/** The answer, or why there was none: the server closed or reset without one, or the time ran out. */
export type Outcome = { readonly answer: Answer } | { readonly none: 'closed' | 'reset' | 'timeout' | 'fetch-failed'; readonly detail: string };

export async function sendCase(origin: string, c: MalformedCase, timeoutMs: number): Promise<Outcome> {
  if (c.transport === 'raw') return sendRaw(origin, c, timeoutMs);
  try {
    const response = await fetch(toRequest(origin, c), { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = await response.text();
    return { answer: { status: response.status, headers: new Map(response.headers), body } };
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const name = error instanceof Error ? error.name : '';
    return { none: name === 'TimeoutError' ? 'timeout' : 'fetch-failed', detail: `${String(error)}${cause}` };
  }
}

/** Writes the parts `gapMs` apart and reads until the server closes (every raw request says `connection: close`). */
function sendRaw(origin: string, c: RawCase, timeoutMs: number): Promise<Outcome> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (how: 'end' | 'reset' | 'timeout', detail = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseResponse(Buffer.concat(received));
      // A reset after a whole answer arrived is the server closing on a client still writing: the answer counts.
      if (answer) resolve({ answer });
      else resolve({ none: how === 'end' ? 'closed' : how, detail: detail || `${received.reduce((n, b) => n + b.byteLength, 0)} bytes received` });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('end', () => finish('end'));
    socket.on('close', () => finish('end'));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'reset', String(error)));
    socket.once('connect', async () => {
      for (let i = 0; i < c.parts.length; i++) {
        if (i > 0 && c.gapMs > 0) await sleep(c.gapMs);
        if (settled || socket.destroyed) return;
        const part = c.parts[i] as Uint8Array;
        if (!socket.write(part)) await new Promise<void>((r) => socket.once('drain', r).once('close', r));
      }
      // A client that stops short hangs up; any other waits for the answer (Node drops a request whose client half-closed).
      if (c.mayGoUnanswered && !settled && !socket.destroyed) socket.end();
    });
  });
}

/** One HTTP/1.1 response: status line, headers, body by Content-Length, chunked, or to the close. Undefined when incomplete. */
export function parseResponse(data: Buffer): Answer | undefined {
  // Interim answers (100 Continue) come first: the answer is the final one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1'))) {
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    data = data.subarray(end + 4);
  }
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  if (status === undefined) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = data.subarray(headEnd + 4);
  const length = headers.get('content-length');
  if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') {
    const pieces: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size)) return undefined;
      if (size === 0) break;
      if (lineEnd + 2 + size > body.byteLength) return undefined;
      pieces.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(pieces);
  } else if (length !== undefined) {
    if (body.byteLength < Number(length)) return undefined;
    body = body.subarray(0, Number(length));
  }
  return { status: Number(status), headers, body: body.toString('utf8') };
}
