// `npm start` as a user runs it: simulators + the gateway under wrangler dev, a printed dev
// key that works with the openai client at once, and Ctrl-C stopping every process.
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, type Started } from '../support/processes.ts';

let stack: Started | undefined;
afterAll(async () => {
  await stack?.stop('SIGKILL');
});

const running = (pattern: string) => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

describe('npm start (the local stack)', () => {
  it('comes up with a working dev key and stops every process on Ctrl-C', async () => {
    const port = 18787;
    const started = await startProcess(['infra/local/dev-stack.ts'], /^dev API key: (sy-\S+)/, {
      env: { ...process.env, SWITCHYARD_PORT: String(port), SWITCHYARD_SIM_PROFILE: 'fast', WRANGLER_SEND_METRICS: 'false' },
      timeoutMs: 120_000,
    });
    stack = started;
    const key = started.match[1] ?? '';
    const simPids = running('cli/main.ts sim --port 8');
    expect(simPids.length).toBe(7);

    const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hello' }], max_tokens: 4 })
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-region')).toBeTruthy();

    const stream = await client.chat.completions.create({ model: 'qwen2.5-32b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4, stream: true });
    let chunks = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) chunks++;
    expect(chunks).toBeGreaterThan(0);

    const code = await stack.stop('SIGINT');
    expect(code).toBe(0);
    expect(running('cli/main.ts sim --port 8')).toEqual([]);
    expect(running(`wrangler dev --local --ip 127.0.0.1 --port ${port}`)).toEqual([]);
  });
});
