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
  /** Per choice index: its text, and its logprob tokens (chat `content[].token`, completions `tokens`) with the completions' `text_offset`s. */
  choices: Map<number, { text: string; tokens: string[]; offsets: number[]; logprobs: number[] }>;
}

interface StreamChoice {
  index: number;
  delta?: { content?: string };
  text?: string;
  finish_reason: string | null;
  logprobs?: { content?: Array<{ token: string; logprob: number }>; tokens?: string[]; text_offset?: number[]; token_logprobs?: number[] } | null;
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
  const got: Streamed = { region: response.headers.get('x-switchyard-region'), ids: new Set(), text: '', finish: undefined, usage: undefined, last: events.at(-1) ?? '', choices: new Map() };
  for (const event of events) {
    if (!event.startsWith('data: {')) continue;
    const chunk = JSON.parse(event.slice('data: '.length)) as { id: string; choices: StreamChoice[]; usage?: unknown };
    got.ids.add(chunk.id);
    for (const choice of chunk.choices) {
      const piece = choice.delta?.content ?? choice.text ?? '';
      if (choice.index === 0) got.text += piece;
      if (choice.index === 0 && choice.finish_reason) got.finish = choice.finish_reason;
      const mine = got.choices.get(choice.index) ?? { text: '', tokens: [], offsets: [], logprobs: [] };
      got.choices.set(choice.index, mine);
      mine.text += piece;
      const lp = choice.logprobs;
      mine.tokens.push(...(lp?.content?.map((e) => e.token) ?? lp?.tokens ?? []));
      mine.logprobs.push(...(lp?.content?.map((e) => e.logprob) ?? lp?.token_logprobs ?? []));
      mine.offsets.push(...(lp?.text_offset ?? []));
    }
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

  it.each([
    ['chat, n = 2, logprobs', '/v1/chat/completions', { messages: [{ role: 'user', content: 'Tell me about switchyards.' }], n: 2, logprobs: true, top_logprobs: 1 }],
    ['text completion, n = 2, logprobs', '/v1/completions', { prompt: 'A switchyard is', n: 2, logprobs: 1 }],
  ] as const)('continues every choice of a cut %s: one complete answer per choice, logprobs as uninterrupted', async (_name, path, body) => {
    const worker = createWorker(inject('fleet'));
    const whole = await stream(worker, path, body, CALLERS.europe);
    const continued = await stream(worker, path, body, CALLERS.northAmerica);
    expect(continued.region).toBe('us-east');
    expect(continued.last).toBe('data: [DONE]');
    expect(continued.ids.size).toBe(1);
    expect([...continued.choices.keys()].sort()).toEqual([0, 1]);
    for (const index of [0, 1]) {
      const got = continued.choices.get(index)!;
      expect(got).toEqual(whole.choices.get(index));
      expect(got.tokens.join('')).toBe(got.text);
      if (path === '/v1/completions') expect(got.offsets).toEqual(got.tokens.map((_, i) => got.tokens.slice(0, i).join('').length));
    }
    const counts = ({ prompt_tokens, completion_tokens, total_tokens }: Record<string, number>) => ({ prompt_tokens, completion_tokens, total_tokens });
    expect(counts(continued.usage as Record<string, number>)).toEqual(counts(whole.usage as Record<string, number>));
  });
});
