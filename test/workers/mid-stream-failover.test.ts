// Mid-stream failover inside workerd: us-east's simulator cuts every stream after 6 chunks, and
// the Worker continues the completion in eu-west as the same stream. The text equals what an
// uninterrupted stream (a European caller, served by eu-west from the start) receives.
import { describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../workers/gateway.ts';
import { dispatchRead, testEnv, type Worker } from './dispatch.ts';

const env = testEnv();
const key = inject('keys').any;

const CALLERS = {
  // Nearest region us-east: its endpoint cuts the stream.
  northAmerica: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
  // Nearest region eu-west: the stream runs uninterrupted.
  europe: { latitude: '48.86', longitude: '2.35', continent: 'EU', country: 'FR' },
};

interface Streamed {
  region: string | null;
  ids: Set<string>;
  text: string;
  finish: string | undefined;
  usage: unknown;
  last: string;
}

async function stream(worker: Worker, path: string, body: Record<string, unknown>, cf: Record<string, string>): Promise<Streamed> {
  const request = new Request(`https://gateway.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'continue-model', max_tokens: 30, ignore_eos: true, stream: true, stream_options: { include_usage: true }, ...body }),
    cf,
  });
  const response = await dispatchRead(worker, request, env);
  expect(response.status).toBe(200);
  const events = (await response.text()).split('\n\n').filter((e) => e.trim() !== '');
  const got: Streamed = { region: response.headers.get('x-switchyard-region'), ids: new Set(), text: '', finish: undefined, usage: undefined, last: events.at(-1) ?? '' };
  for (const event of events) {
    if (!event.startsWith('data: {')) continue;
    const chunk = JSON.parse(event.slice('data: '.length)) as { id: string; choices: Array<{ delta?: { content?: string }; text?: string; finish_reason: string | null }>; usage?: unknown };
    got.ids.add(chunk.id);
    const choice = chunk.choices[0];
    got.text += choice?.delta?.content ?? choice?.text ?? '';
    if (choice?.finish_reason) got.finish = choice.finish_reason;
    if (chunk.usage) got.usage = chunk.usage;
  }
  return got;
}

describe('mid-stream failover in workerd', () => {
  it.each([
    ['chat', '/v1/chat/completions', { messages: [{ role: 'user', content: 'Tell me about switchyards.' }] }],
    ['text completion', '/v1/completions', { prompt: 'A switchyard is' }],
  ] as const)('continues a cut %s in another region as one stream, identical to an uninterrupted one', async (_name, path, body) => {
    // A fresh Worker (isolate) per case: one that has seen us-east cut a stream steers new streams
    // away from it (the error-rate scorer), and each case needs its first leg there.
    const worker = createWorker(inject('fleet'));
    const whole = await stream(worker, path, body, CALLERS.europe);
    expect(whole.region).toBe('eu-west');
    expect(whole.last).toBe('data: [DONE]');

    const continued = await stream(worker, path, body, CALLERS.northAmerica);
    expect(continued.region).toBe('us-east');
    expect(continued.last).toBe('data: [DONE]');
    expect(continued.text).toBe(whole.text);
    expect(continued.ids.size).toBe(1);
    expect(continued.finish).toBe(whole.finish);
    // The same counts (which prompt tokens a region had cached differs: eu-west saw this prompt first).
    const counts = ({ prompt_tokens, completion_tokens, total_tokens }: Record<string, number>) => ({ prompt_tokens, completion_tokens, total_tokens });
    expect(counts(continued.usage as Record<string, number>)).toEqual(counts(whole.usage as Record<string, number>));
  });
});
