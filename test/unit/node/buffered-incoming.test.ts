import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferedIncomingMessage } from '../../../node/buffered-incoming.ts';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server whose listener reports, after a macrotask (as the app reads a body), what rawBody held, then reads the rest as a stream. */
async function serve(): Promise<{ port: number; seen: Promise<{ raw: string | undefined; streamed: string }> }> {
  let report: (v: { raw: string | undefined; streamed: string }) => void = () => {};
  const seen = new Promise<{ raw: string | undefined; streamed: string }>((done) => (report = done));
  server = createServer({ IncomingMessage: BufferedIncomingMessage }, (req: IncomingMessage, res) => {
    setImmediate(async () => {
      const raw = (req as BufferedIncomingMessage).rawBody;
      let streamed = '';
      if (raw === undefined) for await (const chunk of req) streamed += String(chunk);
      report({ raw: raw?.toString(), streamed });
      res.end('ok');
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return { port: (server.address() as AddressInfo).port, seen };
}

describe('BufferedIncomingMessage', () => {
  it('hands over a body that arrived with its headers whole, once, and the same Buffer when asked again', async () => {
    const { port, seen } = await serve();
    const body = JSON.stringify({ model: 'auto', messages: [{ role: 'user', content: 'hi' }] });
    const req = httpRequest({ port, method: 'POST', path: '/', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
    req.end(body);
    expect(await seen).toEqual({ raw: body, streamed: '' });
  });

  it('has no rawBody for a body still arriving: it is read as a stream, every byte', async () => {
    const { port, seen } = await serve();
    const req = httpRequest({ port, method: 'POST', path: '/', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
    req.write('{"model":');
    await new Promise((r) => setTimeout(r, 50));
    req.end('"auto"}');
    expect(await seen).toEqual({ raw: undefined, streamed: '{"model":"auto"}' });
  });

  it('remembers what it handed over: a second read gives the same bytes', () => {
    const message = new BufferedIncomingMessage(null as never);
    message.push(Buffer.from('ab'));
    message.push(Buffer.from('cd'));
    message.push(null);
    message.complete = true;
    expect(message.rawBody?.toString()).toBe('abcd');
    expect(message.rawBody?.toString()).toBe('abcd');
  });
});
