// The simulator continues a partial answer the way vLLM does for a gateway failing a stream over
// (a final assistant message under continue_final_message, a completion prompt extended by the
// text so far), and the text across the two equals the uninterrupted answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../../infra/local/sim/server.ts';
import { post, readSse } from './sim-client.ts';

interface Answer {
  choices: Array<{ message?: { content: string }; text?: string; finish_reason: string }>;
  usage: { prompt_tokens: number; completion_tokens: number };
}

/** Splits generated text into its tokens (`The`, ` model`, …), the pieces the simulator streams. */
const pieces = (text: string) => text.split(/(?= )/);

describe('sim: continuing a partial answer', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSim({ profile: 'fast', seed: 7, models: ['m'] });
  });
  afterAll(() => sim.close());

  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Tell me about gateways.' },
  ];

  it('chat: continue_final_message answers the rest of the same plan, and usage adds up', async () => {
    // Some prompts stop early (finish_reason stop): try a few so both kinds are covered.
    const finishes = new Set<string>();
    for (let i = 0; i < 30 && finishes.size < 2; i++) {
      const asked = [...messages.slice(0, 1), { role: 'user', content: `Question ${i} about gateways.` }];
      const whole = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages: asked, max_tokens: 24 })).json()) as Answer;
      const text = whole.choices[0]!.message!.content;
      finishes.add(whole.choices[0]!.finish_reason);
      const sent = 5;
      const partial = pieces(text).slice(0, sent).join('');
      const res = await post(`${sim.url}/v1/chat/completions`, {
        model: 'm',
        messages: [...asked, { role: 'assistant', content: partial }],
        continue_final_message: true,
        add_generation_prompt: false,
        max_tokens: 24 - sent,
      });
      expect(res.status).toBe(200);
      const rest = (await res.json()) as Answer;
      expect(partial + rest.choices[0]!.message!.content).toBe(text);
      expect(rest.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
      expect(rest.usage.prompt_tokens - sent).toBe(whole.usage.prompt_tokens);
      expect(rest.usage.completion_tokens + sent).toBe(whole.usage.completion_tokens);
    }
    expect(finishes.size).toBe(2);
  });

  it('chat: a stream continues with a new assistant chunk, then only the rest', async () => {
    const whole = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 12, ignore_eos: true })).json()) as Answer;
    const text = whole.choices[0]!.message!.content;
    const partial = pieces(text).slice(0, 4).join('');
    const res = await post(`${sim.url}/v1/chat/completions`, {
      model: 'm',
      messages: [...messages, { role: 'assistant', content: partial }],
      continue_final_message: true,
      add_generation_prompt: false,
      max_tokens: 8,
      ignore_eos: true,
      stream: true,
    });
    const { events } = await readSse(res);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<{ delta: { role?: string; content?: string } }> });
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    expect(partial + chunks.map((c) => c.choices[0]!.delta.content ?? '').join('')).toBe(text);
  });

  it('completions: a prompt extended by the text so far continues it; a fresh prompt is untouched', async () => {
    const prompt = 'Once upon a time';
    const whole = (await (await post(`${sim.url}/v1/completions`, { model: 'm', prompt, max_tokens: 16, ignore_eos: true })).json()) as Answer;
    const text = whole.choices[0]!.text!;
    const partial = pieces(text).slice(0, 6).join('');
    const rest = (await (await post(`${sim.url}/v1/completions`, { model: 'm', prompt: prompt + partial, max_tokens: 10, ignore_eos: true })).json()) as Answer;
    expect(partial + rest.choices[0]!.text).toBe(text);
    expect(rest.usage.prompt_tokens - 6).toBe(whole.usage.prompt_tokens);
    // Text that is not this model's own start is a new prompt like any other.
    const other = (await (await post(`${sim.url}/v1/completions`, { model: 'm', prompt: `${prompt} The model`, max_tokens: 10, ignore_eos: true })).json()) as Answer;
    expect(other.choices[0]!.text!.startsWith(' ')).toBe(false);
    expect(other.usage.completion_tokens).toBe(10);
  });

  it('refuses what vLLM refuses: both flags, or no final assistant message to continue', async () => {
    const both = await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [...messages, { role: 'assistant', content: 'The' }], continue_final_message: true });
    expect(both.status).toBe(400);
    expect(((await both.json()) as { error: { message: string } }).error.message).toMatch(/add_generation_prompt/);
    const noAssistant = await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, continue_final_message: true, add_generation_prompt: false });
    expect(noAssistant.status).toBe(400);
  });

  describe('n > 1 and logprobs', () => {
    type Chunk = { choices: Array<{ index: number; text?: string; delta?: { content?: string; role?: string }; logprobs: { content?: Array<{ token: string; logprob: number; top_logprobs: unknown[] }>; tokens?: string[]; text_offset?: number[] } | null; finish_reason: string | null }>; usage?: { prompt_tokens: number; completion_tokens: number } };
    const chunksOf = (events: string[]) => events.filter((e) => e !== '[DONE]').map((e) => JSON.parse(e) as Chunk);
    const byChoice = (chunks: Chunk[], route: 'chat' | 'completions') => {
      const texts = new Map<number, string>();
      for (const c of chunks) for (const ch of c.choices) texts.set(ch.index, (texts.get(ch.index) ?? '') + (route === 'chat' ? (ch.delta?.content ?? '') : (ch.text ?? '')));
      return texts;
    };

    it('streams n choices interleaved, each its own text, each opened once, usage over all of them', async () => {
      const res = await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, n: 3, max_tokens: 8, ignore_eos: true, stream: true, stream_options: { include_usage: true } });
      const chunks = chunksOf((await readSse(res)).events);
      const texts = byChoice(chunks, 'chat');
      expect([...texts.keys()].sort()).toEqual([0, 1, 2]);
      expect(new Set(texts.values()).size).toBe(3);
      expect(chunks.filter((c) => c.choices[0]?.delta?.role === 'assistant').map((c) => c.choices[0]!.index)).toEqual([0, 1, 2]);
      expect(chunks.at(-1)!.usage!.completion_tokens).toBe(24);
      // Choice 0 is what a request of one choice answers.
      const one = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 8, ignore_eos: true })).json()) as Answer;
      expect(texts.get(0)).toBe(one.choices[0]!.message!.content);
      const whole = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, n: 3, max_tokens: 8, ignore_eos: true })).json()) as Answer;
      expect(whole.choices.map((c) => c.message!.content)).toEqual([texts.get(0), texts.get(1), texts.get(2)]);
    });

    it('a partial answer of choice 2 continued alone (n = 1) gets the rest of choice 2', async () => {
      const whole = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, n: 3, max_tokens: 10, ignore_eos: true })).json()) as Answer;
      const text = whole.choices[2]!.message!.content;
      const partial = pieces(text).slice(0, 3).join('');
      const rest = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [...messages, { role: 'assistant', content: partial }], continue_final_message: true, add_generation_prompt: false, max_tokens: 7, ignore_eos: true })).json()) as Answer;
      expect(partial + rest.choices[0]!.message!.content).toBe(text);
      const prompt = 'Once upon a time';
      const texts = (await (await post(`${sim.url}/v1/completions`, { model: 'm', prompt, n: 2, max_tokens: 10, ignore_eos: true })).json()) as Answer;
      const second = texts.choices[1]!.text!;
      const start = pieces(second).slice(0, 4).join('');
      const after = (await (await post(`${sim.url}/v1/completions`, { model: 'm', prompt: prompt + start, max_tokens: 6, ignore_eos: true })).json()) as Answer;
      expect(start + after.choices[0]!.text).toBe(second);
    });

    it('logprobs: one entry per token, tokens concatenated are the text, offsets where each token starts; a continuation carries the same values', async () => {
      const prompt = 'Once upon a time';
      const res = await post(`${sim.url}/v1/completions`, { model: 'm', prompt, n: 2, logprobs: 2, max_tokens: 10, ignore_eos: true, stream: true });
      const chunks = chunksOf((await readSse(res)).events);
      for (const index of [0, 1]) {
        const mine = chunks.flatMap((c) => c.choices.filter((ch) => ch.index === index));
        const tokens = mine.flatMap((ch) => ch.logprobs!.tokens!);
        const offsets = mine.flatMap((ch) => ch.logprobs!.text_offset!);
        const text = mine.map((ch) => ch.text).join('');
        expect(tokens.join('')).toBe(text);
        expect(offsets).toEqual(tokens.map((_, i) => tokens.slice(0, i).join('').length));
      }
      const chat = await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, logprobs: true, top_logprobs: 3, max_tokens: 10, ignore_eos: true, stream: true });
      const chatChunks = chunksOf((await readSse(chat)).events);
      const entries = chatChunks.flatMap((c) => c.choices[0]?.logprobs?.content ?? []);
      const text = chatChunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
      expect(entries.map((e) => e.token).join('')).toBe(text);
      expect(entries.every((e) => e.top_logprobs.length === 3 && e.logprob < 0)).toBe(true);
      // Continued after 4 tokens: the rest's logprobs are the uninterrupted answer's.
      const partial = pieces(text).slice(0, 4).join('');
      const rest = (await (await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages: [...messages, { role: 'assistant', content: partial }], continue_final_message: true, add_generation_prompt: false, logprobs: true, top_logprobs: 3, max_tokens: 6, ignore_eos: true })).json()) as { choices: Array<{ logprobs: { content: unknown[] } }> };
      expect(rest.choices[0]!.logprobs.content).toEqual(entries.slice(4));
    });

    it('refuses what vLLM refuses: top_logprobs without logprobs, more logprobs than allowed', async () => {
      expect((await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, top_logprobs: 2 })).status).toBe(400);
      expect((await post(`${sim.url}/v1/completions`, { model: 'm', prompt: 'x', logprobs: 21 })).status).toBe(400);
      expect((await post(`${sim.url}/v1/chat/completions`, { model: 'm', messages, n: 17 })).status).toBe(400);
    });
  });
});
