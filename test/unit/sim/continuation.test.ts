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
});
