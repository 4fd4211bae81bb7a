// The rest of the OpenAI / vLLM surface through `switchyard serve` (its own process) in front
// of simulator servers: embeddings, responses (whole and streamed), one model, rerank, score,
// audio transcriptions (multipart, streamed through), tokenize and detokenize — with the
// official openai clients, Node's and Python's, where they have the route.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeStack, type ServeStack } from '../support/serve-stack.ts';

let stack: ServeStack;
let info: ServeStack['info'];
let base: string;
let client: OpenAI;

beforeAll(async () => {
  stack = await startServeStack();
  info = stack.info;
  base = stack.url;
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: info.keys.any, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
});

const post = (path: string, body: unknown, key = info.keys.any) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
const requestsOf = async (sim: string) => (await (await fetch(`${info.simUrls[sim]}/sim/requests`)).json()) as { path: string; body: Record<string, unknown> }[];

describe('embeddings', () => {
  it('answers the openai client with a vector per input, from a region serving the embedding model', async () => {
    const { data, response } = await client.embeddings.create({ model: 'bge-small-en', input: ['rail yards', 'signal boxes'] }).withResponse();
    expect(data.data.map((d) => d.index)).toEqual([0, 1]);
    expect(data.data[0]?.embedding).toHaveLength(16);
    expect(data.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-region')).toMatch(/^(us-east|eu-west)$/);
    expect(response.headers.get('x-switchyard-model')).toBe('bge-small-en');
  });

  it('gives the same vector for the same text, whichever region answers', async () => {
    const a = await client.embeddings.create({ model: 'bge-small-en', input: 'freight' });
    const b = await client.embeddings.create({ model: 'bge-small-en', input: 'freight' });
    expect(a.data[0]?.embedding).toEqual(b.data[0]?.embedding);
  });

  it('never sends an embedding request to a chat model, nor a chat to an embedding model: 400 naming the models that can', async () => {
    const toChat = await client.embeddings.create({ model: 'llama-3.1-8b', input: 'x' }).catch((e: unknown) => e);
    expect(toChat).toBeInstanceOf(OpenAI.BadRequestError);
    expect((toChat as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('model_not_supported');
    expect((toChat as Error).message).toContain('Models that do: bge-small-en');
    const toEmbed = await client.chat.completions.create({ model: 'bge-small-en', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(toEmbed).toBeInstanceOf(OpenAI.BadRequestError);
    expect((toEmbed as Error).message).toContain('does not serve /v1/chat/completions');
  });

  it('answers an unknown model with 404 model_not_found, and `auto` with a clear 400', async () => {
    const unknown = await client.embeddings.create({ model: 'no-such-model', input: 'x' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect((unknown as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
    const auto = await client.embeddings.create({ model: 'auto', input: 'x' }).catch((e: unknown) => e);
    expect(auto).toBeInstanceOf(OpenAI.BadRequestError);
  });
});

describe('responses', () => {
  it('answers responses.create with the output text and usage', async () => {
    const { data, response } = await client.responses.create({ model: 'llama-3.1-8b', input: 'Describe a rail yard.', max_output_tokens: 12 }).withResponse();
    expect(data.object).toBe('response');
    expect(data.status).toMatch(/^(completed|incomplete)$/);
    expect(data.output_text.length).toBeGreaterThan(0);
    expect(data.usage?.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-region')).toBeTruthy();
  });

  it('relays the streamed events as they come, ending with response.completed', async () => {
    const stream = await client.responses.create({ model: 'llama-3.1-8b', input: [{ role: 'user', content: 'Count wagons.' }], max_output_tokens: 10, stream: true });
    const types: string[] = [];
    let deltas = '';
    let final = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      if (event.type === 'response.output_text.done') final = event.text;
    }
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toMatch(/^response\.(completed|incomplete)$/);
    expect(deltas).toBe(final);
  });

  it('lets `auto` pick a tier for a response, as for a chat', async () => {
    const res = await post('/v1/responses', { model: 'auto', input: 'hi', max_output_tokens: 4 });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-tier')).toBeTruthy();
    expect(res.headers.get('x-switchyard-route')).toMatch(/->(edge|regional|central)/);
  });
});

describe('models', () => {
  it('retrieves one model with its routes and regions, and 404s one the key cannot see', async () => {
    const model = (await client.models.retrieve('bge-small-en')) as OpenAI.Model & { capabilities: string[]; regions: string[] };
    expect(model.id).toBe('bge-small-en');
    expect(model.capabilities).toEqual(['embeddings', 'score', 'tokenize']);
    expect(model.regions.sort()).toEqual(['eu-west', 'us-east']);
    const missing = await client.models.retrieve('no-such-model').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe('rerank, score, tokenize, detokenize', () => {
  it('reranks documents, most relevant first', async () => {
    const res = await post('/v1/rerank', { model: 'bge-reranker-base', query: 'freight yard', documents: ['a poem about the sea', 'the freight yard at night', 'yard sale'] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { index: number; relevance_score: number }[] };
    expect(body.results[0]?.index).toBe(1);
    expect(res.headers.get('x-switchyard-model')).toBe('bge-reranker-base');
  });

  it('scores text pairs', async () => {
    const res = await post('/v1/score', { model: 'bge-reranker-base', text_1: 'rail', text_2: ['rail yard', 'ocean'] });
    const body = (await res.json()) as { data: { score: number }[] };
    expect(body.data.map((d) => d.score > 0)).toEqual([true, false]);
  });

  it('tokenizes and detokenizes at the server root, through the same auth and routing', async () => {
    const tokens = (await (await post('/tokenize', { model: 'llama-3.1-8b', prompt: 'Hello rail yard' })).json()) as { count: number; tokens: number[] };
    expect(tokens.count).toBe(tokens.tokens.length);
    const text = await post('/detokenize', { model: 'llama-3.1-8b', tokens: tokens.tokens });
    expect(text.status).toBe(200);
    const unauthorized = await fetch(`${base}/tokenize`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"llama-3.1-8b","prompt":"x"}' });
    expect(unauthorized.status).toBe(401);
  });
});

describe('audio transcriptions (multipart)', () => {
  const audio = (bytes: number) => Buffer.alloc(bytes, 7);

  it('transcribes an upload from the openai client (file first, then the model field)', async () => {
    const { data, response } = await client.audio.transcriptions.create({ file: await toFile(audio(20_000), 'clip.wav'), model: 'whisper-large-v3' }).withResponse();
    expect(data.text.split(' ').length).toBeGreaterThan(1);
    expect(response.headers.get('x-switchyard-model')).toBe('whisper-large-v3');
  });

  it('streams a transcription as it is produced, ending with [DONE]', async () => {
    const form = new FormData();
    form.set('model', 'whisper-large-v3');
    form.set('stream', 'true');
    form.set('file', new Blob([audio(12_000)]), 'clip.wav');
    const res = await fetch(`${base}/v1/audio/transcriptions`, { method: 'POST', headers: { authorization: `Bearer ${info.keys.any}` }, body: form });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text).toMatch(/"object":"transcription.chunk"/);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('streams the upload through to the upstream as it arrives, not after it is whole', async () => {
    const boundary = 'switchyardtestboundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-large-v3\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="long.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
    const tail = `\r\n--${boundary}--\r\n`;
    const chunks = 8;
    let lastSentAt = 0;
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(head));
        for (let i = 0; i < chunks; i++) {
          await new Promise((r) => setTimeout(r, 60));
          controller.enqueue(new Uint8Array(64 * 1024).fill(i));
        }
        lastSentAt = Date.now();
        controller.enqueue(new TextEncoder().encode(tail));
        controller.close();
      },
    });
    const res = await fetch(`${base}/v1/audio/transcriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.keys.any}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const seen = (await requestsOf('us-east-whisper')).at(-1)?.body as { first_byte_at: number; file_bytes: number };
    expect(seen.file_bytes).toBe(chunks * 64 * 1024);
    // The simulator had bytes of this upload well before the client had sent all of it.
    expect(seen.first_byte_at).toBeLessThan(lastSentAt - 200);
  });

  it('refuses an upload that is not multipart with 415', async () => {
    const json = await post('/v1/audio/transcriptions', { model: 'whisper-large-v3' });
    expect(json.status).toBe(415);
  });
});

describe('the Python openai client', () => {
  it('gets embeddings and a response through the gateway', async () => {
    const script = `
import json, sys
from openai import OpenAI
c = OpenAI(base_url=sys.argv[1], api_key=sys.argv[2], max_retries=0)
e = c.embeddings.create(model="bge-small-en", input=["rail", "yard"])
r = c.responses.create(model="llama-3.1-8b", input="Name a rail yard.", max_output_tokens=8)
s = c.responses.create(model="llama-3.1-8b", input="Name a signal.", max_output_tokens=6, stream=True)
types = [ev.type for ev in s]
print(json.dumps({"vectors": len(e.data), "dims": len(e.data[0].embedding), "text": r.output_text, "status": r.status, "last": types[-1]}))
`;
    let stdout: string;
    try {
      ({ stdout } = await promisify(execFile)('python3', ['-c', script, `${base}/v1`, info.keys.any], { encoding: 'utf8' }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`the Python openai client is needed for this test (pip install openai; .ci/run installs it): ${message}`);
    }
    const out = JSON.parse(stdout) as { vectors: number; dims: number; text: string; status: string; last: string };
    expect(out.vectors).toBe(2);
    expect(out.dims).toBe(16);
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.last).toMatch(/^response\.(completed|incomplete)$/);
  }, 30_000);
});
