import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undiciTransport } from '../../../node/undici-transport.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import { TransportError } from '../../../src/backends/transport.ts';
import { refusedPort } from '../../support/ports.ts';

let server: http.Server;
let base: string;
let closedByClient = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    req.socket.once('close', () => closedByClient++);
    if (req.url === '/slow') return; // never answers
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n'); // then nothing more
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const transport = undiciTransport({ connectMs: 500 });
afterAll(() => transport.close());
const get = (path: string, cancel?: CancelScope, firstByteMs = 5_000) =>
  transport({ url: `${base}${path}`, method: 'GET', headers: {}, connectMs: 500, firstByteMs, ...(cancel ? { cancel } : {}) });

describe('the undici transport', () => {
  it('answers status, headers and body', async () => {
    const r = await get('/ok');
    expect([r.status, r.header('x-upstream'), new TextDecoder().decode(await r.bytes())]).toEqual([200, 'yes', '{"ok":true}']);
  });

  it('turns a cancellation before the headers into an aborted TransportError and drops the connection', async () => {
    const cancel = new CancelScope();
    const before = closedByClient;
    const pending = get('/slow', cancel);
    setTimeout(() => cancel.cancel('client'), 50);
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).phase).toBe('aborted');
    await new Promise((r) => setTimeout(r, 50));
    expect(closedByClient).toBeGreaterThan(before);
  });

  it('ends a body being read when cancelled mid-stream', async () => {
    const cancel = new CancelScope();
    const r = await get('/stream', cancel);
    const reader = r.reader();
    expect((await reader.read()).done).toBe(false);
    const next = reader.read();
    cancel.cancel('deadline');
    await expect(next).rejects.toThrow();
  });

  it('leaves no listener on the cancellation once a request has settled, and aborts one cancelled before it is sent', async () => {
    // A CancelScope that counts what is registered on it.
    class CountingScope extends CancelScope {
      active = 0;
      override onCancel(callback: () => void): () => void {
        this.active++;
        const off = super.onCancel(callback);
        return () => {
          this.active--;
          off();
        };
      }
    }
    const settled = new CountingScope();
    const r = await get('/ok', settled);
    await r.bytes();
    await new Promise((resolve) => setImmediate(resolve)); // undici lets go when the body has closed (next tick)
    expect(settled.active).toBe(0);
    const failed = new CountingScope();
    await get('/slow', failed, 100).catch(() => undefined);
    expect(failed.active).toBe(0);
    const early = new CountingScope();
    early.cancel('client');
    const error = await get('/ok', early).catch((e: unknown) => e);
    expect((error as TransportError).phase).toBe('aborted');
  });

  it('reports a missing first byte as a first_byte timeout', async () => {
    const error = await get('/slow', undefined, 100).catch((e: unknown) => e);
    expect((error as TransportError).phase).toBe('first_byte');
    expect((error as TransportError).timeoutMs).toBe(100);
  });

  it('reports a refused connection as a network error', async () => {
    const port = await refusedPort();
    const error = await transport({ url: `http://127.0.0.1:${port}/x`, method: 'GET', headers: {}, connectMs: 500, firstByteMs: 500 }).catch((e: unknown) => e);
    expect((error as TransportError).phase).toBe('network');
  });
});
