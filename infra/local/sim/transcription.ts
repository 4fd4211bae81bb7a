// POST /v1/audio/transcriptions as vLLM serves a Whisper-class model: a multipart upload
// (file, model, language, response_format, stream), answered with the text as JSON, plain
// text, or a stream of `transcription.chunk` events ending in `data: [DONE]`. The text is a
// deterministic function of the audio's bytes. The request is recorded with when its first
// and last body bytes arrived, so tests can see an upload was streamed through, not buffered.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fnv1a32 } from './hash.ts';
import { sendError, sendJson } from './http-io.ts';
import type { SimState } from './sim-state.ts';

const WORDS = ['rail', 'yard', 'switch', 'signal', 'freight', 'track', 'engine', 'siding', 'depot', 'junction'];

interface Upload {
  fields: Record<string, string>;
  file: Buffer | undefined;
  firstByteAt: number;
  lastByteAt: number;
  bytes: number;
}

async function readUpload(req: IncomingMessage, maxBytes: number): Promise<Upload | string> {
  const boundary = /boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(req.headers['content-type'] ?? '');
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return 'Content-Type must be multipart/form-data with a boundary.';
  const chunks: Buffer[] = [];
  let bytes = 0;
  let firstByteAt = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    if (firstByteAt === 0) firstByteAt = Date.now();
    bytes += chunk.length;
    if (bytes > maxBytes) return `The upload exceeds ${maxBytes} bytes.`;
    chunks.push(chunk);
  }
  const lastByteAt = Date.now();
  const body = Buffer.concat(chunks);
  const fields: Record<string, string> = {};
  let file: Buffer | undefined;
  for (const part of body.toString('latin1').split(`--${b}`).slice(1)) {
    if (part.startsWith('--')) break;
    const split = part.indexOf('\r\n\r\n');
    if (split < 0) continue;
    const headers = part.slice(0, split);
    const value = part.slice(split + 4, part.endsWith('\r\n') ? -2 : undefined);
    const name = /name="([^"]*)"/i.exec(headers)?.[1];
    if (name === undefined) continue;
    if (/filename=/i.test(headers)) file = Buffer.from(value, 'latin1');
    else fields[name] = Buffer.from(value, 'latin1').toString('utf8');
  }
  return { fields, file, firstByteAt, lastByteAt, bytes };
}

export async function handleTranscription(state: SimState, req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<void> {
  const upload = await readUpload(req, maxBytes);
  const shape = state.faults.errorShape;
  if (typeof upload === 'string') return sendError(res, shape, { status: 400, message: upload });
  state.log.add({
    at: Date.now(),
    method: 'POST',
    path: req.url ?? '',
    headers: req.headers,
    body: { ...upload.fields, file_bytes: upload.file?.length ?? 0, body_bytes: upload.bytes, first_byte_at: upload.firstByteAt, last_byte_at: upload.lastByteAt },
  });
  if (!upload.file || upload.file.length === 0) return sendError(res, shape, { status: 400, message: 'file is required.', param: 'file' });
  const model = upload.fields['model'] ?? state.models[0] ?? '';
  if (!state.models.includes(model)) return sendError(res, shape, { status: 404, message: `The model \`${model}\` does not exist.`, param: 'model' });
  // One word per 4 KiB of audio, from the audio's own hash.
  const seed = fnv1a32(upload.file.toString('latin1', 0, Math.min(upload.file.length, 65536)));
  const count = Math.max(1, Math.min(64, Math.ceil(upload.file.length / 4096)));
  const words = Array.from({ length: count }, (_, i) => WORDS[(seed + i * 7) % WORDS.length] as string);
  const text = words.join(' ');
  if (upload.fields['stream'] === 'true') {
    const id = `trsc-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const [i, w] of words.entries()) {
      const chunk = { id, object: 'transcription.chunk', created, model, choices: [{ delta: { content: i === 0 ? w : ` ${w}` }, finish_reason: i === words.length - 1 ? 'stop' : null, stop_reason: null }] };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
    }
    res.end('data: [DONE]\n\n');
    return;
  }
  if (upload.fields['response_format'] === 'text') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(text);
    return;
  }
  sendJson(res, 200, JSON.stringify({ text, usage: { type: 'duration', seconds: Math.ceil(upload.file.length / 32000) } }));
}
