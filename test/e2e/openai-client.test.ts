// The official `openai` npm client against `switchyard serve` (its own process) in front of
// simulator servers (their own process): what a user of the gateway actually runs.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeStack, type ServeStack } from '../support/serve-stack.ts';

let stack: ServeStack;
let info: ServeStack['info'];
let client: OpenAI;

beforeAll(async () => {
  stack = await startServeStack();
  info = stack.info;
  // maxRetries 0: the gateway does the failing over; the client must see what it answers.
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: info.keys.any, maxRetries: 0 });
});

afterAll(async () => {
  await stack?.stop();
});

const messages = [{ role: 'user' as const, content: 'Tell me about rail yards.' }];

describe('the openai client through switchyard serve', () => {
  it('gets a chat completion with usage and routing headers', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b', messages, max_tokens: 8 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.model).toBe('llama-3.1-8b');
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-region')).toMatch(/^(us-east|eu-west|apac)$/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
  });

  it('streams a chat completion whose chunks add up to the non-streamed text', async () => {
    const body = { model: 'llama-3.1-8b', messages, max_tokens: 12, seed: 4 } as const;
    const whole = await client.chat.completions.create(body);
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(whole.choices[0]?.message.content);
    expect(usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
  });

  it('gets text completions, streamed and not', async () => {
    const done = await client.completions.create({ model: 'qwen-hf', prompt: 'The switchyard', max_tokens: 5 });
    expect(done.choices[0]?.text.length).toBeGreaterThan(0);
    const stream = await client.completions.create({ model: 'qwen-hf', prompt: 'The switchyard', max_tokens: 5, stream: true });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.text) chunks++;
    expect(chunks).toBeGreaterThan(0);
  });

  it('lists models', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(expect.arrayContaining(['llama-3.1-8b', 'qwen-hf']));
  });

  it('raises APIError when the upstream cuts a stream mid-way', async () => {
    const stream = await client.chat.completions.create({ model: 'cut-model', messages, max_tokens: 30, stream: true });
    const received: string[] = [];
    const consume = async () => {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    };
    await expect(consume()).rejects.toThrow(/ended the stream before it was complete/);
    expect(received.length).toBeGreaterThan(0);
  });

  it.each([
    ['an unknown key', () => new OpenAI({ baseURL: client.baseURL, apiKey: 'sy-unknown-unknown-unknown-unknown-unknown', maxRetries: 0 }).models.list(), OpenAI.AuthenticationError, 401],
    ['an unknown model', () => client.chat.completions.create({ model: 'gpt-17', messages }), OpenAI.NotFoundError, 404],
    ['a wrong type', () => client.chat.completions.create({ model: 'llama-3.1-8b', messages, temperature: 'hot' as unknown as number }), OpenAI.BadRequestError, 400],
    ['every endpoint down', () => client.chat.completions.create({ model: 'broken-model', messages }), OpenAI.InternalServerError, 502],
    ['an upstream that never answers', () => client.chat.completions.create({ model: 'slow-model', messages }), OpenAI.InternalServerError, 504],
    ['a saturated upstream', () => client.chat.completions.create({ model: 'busy-model', messages }), OpenAI.RateLimitError, 429],
  ])('maps %s to the matching openai error class', async (_what, run, errorClass, status) => {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(errorClass);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
  });

  it('fails over to another region transparently', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'failover-model', messages, max_tokens: 4 }).withResponse();
    expect(data.choices).toHaveLength(1);
    expect(response.headers.get('x-switchyard-region')).toBe('eu-west');
  });
});
