// Reading a multipart upload only as far as routing needs: the model field, wherever it is.
import { describe, expect, it } from 'vitest';
import { sniffUpload } from '../../../src/api/multipart-model.ts';
import { GatewayError } from '../../../src/api/errors.ts';

const BOUNDARY = 'b0undary';
const part = (name: string, value: string, filename?: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"` : ''}\r\n\r\n${value}\r\n`;
const body = (...parts: string[]) => `${parts.join('')}--${BOUNDARY}--\r\n`;

/** A request whose body arrives in `chunkSize` pieces. */
function upload(text: string, chunkSize = 7, contentType = `multipart/form-data; boundary=${BOUNDARY}`): Request {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + chunkSize));
      at += chunkSize;
    },
  });
  return new Request('http://gw.test/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': contentType }, body: stream, duplex: 'half' } as RequestInit);
}

/** Everything the upstream would receive: the bytes held, then the rest. */
async function forwarded(s: Awaited<ReturnType<typeof sniffUpload>>): Promise<string> {
  const chunks = [...s.head];
  if (s.rest) for (let r = await s.rest.read(); !r.done; r = await s.rest.read()) chunks.push(r.value);
  return new TextDecoder().decode(Buffer.concat(chunks));
}

describe('sniffUpload', () => {
  it('finds the model before the file, holding only the bytes up to it', async () => {
    const text = body(part('model', 'whisper-large-v3'), part('file', 'A'.repeat(5000), 'a.wav'));
    const s = await sniffUpload(upload(text), 1 << 20, { stopAtFile: false });
    expect(s.model).toBe('whisper-large-v3');
    expect(s.bytes).toBeLessThan(200);
    expect(await forwarded(s)).toBe(text);
  });

  it('finds the model after the file (the openai Node client order), within the limit', async () => {
    const text = body(part('file', 'B'.repeat(5000), 'b.wav'), part('model', 'whisper-small'), part('language', 'en'));
    const s = await sniffUpload(upload(text, 1000), 1 << 20, { stopAtFile: false });
    expect(s.model).toBe('whisper-small');
    expect(await forwarded(s)).toBe(text);
  });

  it('stops at the first file when routing needs no field (one model serves the route)', async () => {
    const text = body(part('file', 'C'.repeat(50_000), 'c.wav'), part('model', 'whisper-small'));
    const s = await sniffUpload(upload(text, 1000), 1 << 20, { stopAtFile: true });
    expect(s.model).toBeUndefined();
    expect(s.bytes).toBeLessThan(2000);
    expect(await forwarded(s)).toBe(text);
  });

  it('says when there is no model field at all', async () => {
    const s = await sniffUpload(upload(body(part('file', 'D', 'd.wav'))), 1 << 20, { stopAtFile: false });
    expect(s.model).toBeUndefined();
  });

  it('refuses a body over the limit while looking, a missing boundary, and a declared length over the limit', async () => {
    const big = body(part('file', 'E'.repeat(10_000), 'e.wav'), part('model', 'm'));
    await expect(sniffUpload(upload(big, 512), 4096, { stopAtFile: false })).rejects.toMatchObject({ status: 413 });
    await expect(sniffUpload(upload(big, 512, 'multipart/form-data'), 1 << 20, { stopAtFile: false })).rejects.toMatchObject({ status: 415 });
    const declared = new Request('http://gw.test/', { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': '999999' }, body: 'x' });
    await expect(sniffUpload(declared, 1000, { stopAtFile: false })).rejects.toBeInstanceOf(GatewayError);
  });
});
