// The few node:http helpers the simulator needs, kept minimal: it must stay cheap enough to
// measure a gateway's overhead against.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorShape, errorBody, type SimError } from './error-shapes.ts';

/** The whole request body as text, or null when it exceeds `maxBytes` (the socket is left to close). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendError(res: ServerResponse, shape: ErrorShape, e: SimError, retryAfterSeconds: number | null = null): void {
  if (retryAfterSeconds !== null) res.setHeader('retry-after', String(retryAfterSeconds));
  sendJson(res, e.status, errorBody(shape, e));
}

/** FastAPI's answer for a route that does not exist, which is what vLLM returns. */
export function sendNotFound(res: ServerResponse): void {
  sendJson(res, 404, '{"detail":"Not Found"}');
}

export function sendMethodNotAllowed(res: ServerResponse): void {
  sendJson(res, 405, '{"detail":"Method Not Allowed"}');
}

export function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { 'content-length': 0 });
  res.end();
}
