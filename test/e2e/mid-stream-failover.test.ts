// Mid-stream failover with real processes: a region's simulator is killed while it streams an
// answer; the gateway continues the same completion in the other region and the official
// `openai` client receives one complete answer, identical to an uninterrupted run.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import type { RequestLog } from '../../src/observe/request-log.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { type NodeGateway, startNodeGateway } from '../../node/server.ts';
import { unusedPort } from '../support/ports.ts';
import { startProcess, type Started } from '../support/processes.ts';
import { Scrape } from '../support/prometheus-scrape.ts';

const started: Started[] = [];
let gateway: NodeGateway | undefined;
afterAll(async () => {
  await gateway?.close();
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
});

/** A simulator with real per-token latency (12 ms), so a stream is still running when its region dies. */
const sim = async (port: number) => {
  const p = await startProcess(['cli/main.ts', 'sim', '--port', String(port), '--profile', 'h100-8b', '--model', 'llama-3.1-8b'], /ready on/);
  started.push(p);
  return p;
};

const region = (id: string, price: number, port: number) => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: ${id} }
spec:
  location: { latitude: 0, longitude: 0, continent: EU }
  residency: ${id}
  pricing: { inputPerMillionTokensUsd: ${price}, outputPerMillionTokensUsd: ${price} }
  endpoints:
    - { model: llama-3.1-8b, url: "http://127.0.0.1:${port}" }`;

interface Received {
  ids: Set<string>;
  text: string;
  finish: string | null | undefined;
  usage: OpenAI.CompletionUsage | undefined;
  chunks: number;
}

describe('mid-stream failover across regions with simulator processes', () => {
  let client: OpenAI;
  let adminKey: string;
  let us: Started;
  let eu: Started;
  const logs: RequestLog[] = [];
  const ports = { us: 0, eu: 0 };

  beforeAll(async () => {
    ports.us = await unusedPort();
    ports.eu = await unusedPort();
    us = await sim(ports.us);
    eu = await sim(ports.eu);
    const fleet = compileFleet(
      parseFleet(
        [
          // us-east is cheaper: every request goes there first while it is up. The error-rate
          // scorer is off: it would (rightly) keep new streams off the region a previous case killed
          // for some seconds, and each case needs its first leg in us-east.
          region('us-east', 0.05, ports.us),
          region('eu-west', 0.5, ports.eu),
          `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: { name: continue }
spec:
  weights: { cost: 1, error-rate: 0 }
  timeouts: { connectMs: 300, firstByteMs: 3000, totalMs: 20000, streamIdleMs: 3000 }
  midStreamFailover: { enabled: true, maxContinuations: 2 }`,
          `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: llama, annotations: { switchyard.dev/model: llama-3.1-8b } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }`,
        ].join('\n---\n'),
        'continue.yaml',
      ),
    );
    const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
    const [user, admin] = await Promise.all([keys.create({ tenant: 'continue' }), keys.create({ tenant: 'ops', role: 'admin' })]);
    adminKey = admin.key;
    gateway = await startNodeGateway({ fleet, keys: [user.record, admin.record], env: {}, probeIntervalMs: 0, log: (line) => logs.push(line), metrics: { flushMs: 0 } });
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: user.key, maxRetries: 0 });
  }, 60_000);

  const request = {
    model: 'llama-3.1-8b',
    messages: [
      { role: 'system' as const, content: 'You answer at length.' },
      { role: 'user' as const, content: 'Explain how a gateway fails over between regions.' },
    ],
    max_tokens: 60,
    stream: true as const,
    stream_options: { include_usage: true },
  };

  /** Reads a stream with the official client; `onChunk` sees how many content chunks arrived so far. */
  const consume = async (onChunk: (n: number) => Promise<void> | void = () => {}): Promise<Received & { region: string | null }> => {
    const { data: stream, response } = await client.chat.completions.create(request).withResponse();
    const got: Received = { ids: new Set(), text: '', finish: undefined, usage: undefined, chunks: 0 };
    for await (const chunk of stream) {
      got.ids.add(chunk.id);
      const choice = chunk.choices[0];
      if (choice?.delta.content) {
        got.text += choice.delta.content;
        got.chunks++;
        await onChunk(got.chunks);
      }
      if (choice?.finish_reason) got.finish = choice.finish_reason;
      if (chunk.usage) got.usage = chunk.usage;
    }
    return { ...got, region: response.headers.get('x-switchyard-region') };
  };

  /** Reads an answer whole from us-east, then again with us-east killed after `at` content chunks (continued elsewhere). */
  const wholeThenKilled = async <T extends { region: string | null }>(read: (onChunk?: (n: number) => Promise<void>) => Promise<T>, at: number) => {
    const whole = await read();
    expect(whole.region).toBe('us-east');
    const continued = await read(async (n) => {
      if (n === at) await us.stop('SIGKILL');
    });
    expect(continued.region).toBe('us-east');
    return { whole, continued };
  };

  it('continues the answer in another region when the serving region dies mid-stream, byte for byte', async () => {
    const whole = await consume();
    expect(whole.region).toBe('us-east');
    expect(whole.chunks).toBeGreaterThan(20);

    let killed = false;
    const continued = await consume(async (n) => {
      if (n === 8 && !killed) {
        killed = true;
        await us.stop('SIGKILL');
      }
    });
    expect(killed).toBe(true);
    expect(continued.region).toBe('us-east');
    // One answer: the same text, one id throughout, the same end and the usage of the whole.
    expect(continued.text).toBe(whole.text);
    expect(continued.ids.size).toBe(1);
    expect(continued.finish).toBe(whole.finish);
    expect(continued.usage).toEqual(whole.usage);

    // The cut leg counted against its endpoint; the log line says where the answer continued.
    const line = logs.at(-1);
    expect(line?.streamOutcome).toBe('completed');
    expect(line?.continuation).toEqual({ outcome: 'continued', legs: 2 });
    expect(line?.attempts?.map((a) => a.endpoint)).toEqual([expect.stringContaining('us-east'), expect.stringContaining('eu-west')]);
    const metrics = new Scrape(await (await fetch(`${gateway!.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text());
    expect(metrics.sum('switchyard_stream_continuations_total', { outcome: 'continued' })).toBe(1);
    expect(metrics.sum('switchyard_streams_total', { outcome: 'completed' })).toBe(2);
  });

  it('continues a text completion the same way (the prompt extended by the text so far)', async () => {
    us = await sim(ports.us); // us-east is back, and first again (cheaper; one failure does not open its breaker)
    const body = { model: 'llama-3.1-8b', prompt: 'The history of railway switchyards', max_tokens: 50, stream: true as const, stream_options: { include_usage: true } };
    const read = async (onChunk: (n: number) => Promise<void> | void = () => {}) => {
      const { data, response } = await client.completions.create(body).withResponse();
      let text = '';
      let chunks = 0;
      let usage: OpenAI.CompletionUsage | undefined;
      const ids = new Set<string>();
      for await (const chunk of data) {
        ids.add(chunk.id);
        if (chunk.choices[0]?.text) {
          text += chunk.choices[0].text;
          await onChunk(++chunks);
        }
        if (chunk.usage) usage = chunk.usage;
      }
      return { text, usage, ids, region: response.headers.get('x-switchyard-region') };
    };
    const { whole, continued } = await wholeThenKilled(read, 5);
    expect(continued.text).toBe(whole.text);
    expect(continued.ids.size).toBe(1);
    expect(continued.usage).toEqual(whole.usage);
  });

  it('continues a stream whose region stalls (its process frozen) once the idle time has passed', async () => {
    us = await sim(ports.us);
    const whole = await consume();
    expect(whole.region).toBe('us-east');
    const stalledAt = { ms: 0 };
    const continued = await consume((n) => {
      if (n === 8) {
        us.child.kill('SIGSTOP');
        stalledAt.ms = Date.now();
      }
    });
    // The stream resumed after the policy's streamIdleMs (3 s) of silence, from eu-west.
    expect(Date.now() - stalledAt.ms).toBeGreaterThanOrEqual(2900);
    expect(continued.text).toBe(whole.text);
    expect(continued.ids.size).toBe(1);
    const counts = (u: OpenAI.CompletionUsage | undefined) => u && { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens };
    // The same counts (eu-west has this prompt cached by now: its cached share differs).
    expect(counts(continued.usage)).toEqual(counts(whole.usage));
    expect(logs.at(-1)?.continuation).toEqual({ outcome: 'continued', legs: 2 });
    await us.stop('SIGKILL');
  });

  it('n = 2 with logprobs: every unfinished choice continued on its own, one complete answer per choice, logprobs and usage as uninterrupted', async () => {
    us = await sim(ports.us);
    const body = { ...request, n: 2, logprobs: true, top_logprobs: 2 };
    const read = async (onChunk: (n: number) => Promise<void> | void = () => {}) => {
      const { data, response } = await client.chat.completions.create(body).withResponse();
      const texts = ['', ''];
      const tokens: OpenAI.ChatCompletionTokenLogprob[][] = [[], []];
      const finishes: Array<string | null> = [null, null];
      const openings = [0, 0];
      const ids = new Set<string>();
      let usage: OpenAI.CompletionUsage | undefined;
      let chunks = 0;
      for await (const chunk of data) {
        ids.add(chunk.id);
        for (const choice of chunk.choices) {
          expect([0, 1]).toContain(choice.index);
          if (choice.delta.role) openings[choice.index]!++;
          tokens[choice.index]!.push(...(choice.logprobs?.content ?? []));
          if (choice.finish_reason) finishes[choice.index] = choice.finish_reason;
          if (choice.delta.content) {
            texts[choice.index] += choice.delta.content;
            await onChunk(++chunks);
          }
        }
        if (chunk.usage) usage = chunk.usage;
      }
      return { texts, tokens, finishes, openings, ids, usage, region: response.headers.get('x-switchyard-region') };
    };
    const { whole, continued } = await wholeThenKilled(read, 10);
    expect(whole.texts[0]).not.toBe(whole.texts[1]);
    // One complete answer per choice: no text twice or missing, one opening each, one id.
    expect(continued.texts).toEqual(whole.texts);
    expect(continued.finishes).toEqual(whole.finishes);
    expect(continued.openings).toEqual([1, 1]);
    expect(continued.ids.size).toBe(1);
    // Each token's logprob from the leg that sampled it: the same as uninterrupted; tokens spell the text.
    expect(continued.tokens).toEqual(whole.tokens);
    expect(continued.tokens.map((t) => t.map((e) => e.token).join(''))).toEqual(continued.texts);
    const counts = (u: OpenAI.CompletionUsage | undefined) => u && { prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens, total_tokens: u.total_tokens };
    expect(counts(continued.usage)).toEqual(counts(whole.usage));
    // Both choices were unfinished at the cut: one continuation each.
    expect(logs.at(-1)?.continuation).toEqual({ outcome: 'continued', legs: 3 });
  });

  it('text completion with logprobs: the continuation’s text_offset follows on from the text already streamed', async () => {
    us = await sim(ports.us);
    const body = { model: 'llama-3.1-8b', prompt: 'The history of railway switchyards', max_tokens: 40, logprobs: 2, stream: true as const, stream_options: { include_usage: true } };
    const read = async (onChunk: (n: number) => Promise<void> | void = () => {}) => {
      const { data, response } = await client.completions.create(body).withResponse();
      const got = { text: '', tokens: [] as string[], offsets: [] as number[], logprobs: [] as number[], top: [] as unknown[], ids: new Set<string>(), usage: undefined as OpenAI.CompletionUsage | undefined };
      let chunks = 0;
      for await (const chunk of data) {
        got.ids.add(chunk.id);
        const choice = chunk.choices[0];
        if (choice?.text) {
          got.text += choice.text;
          got.tokens.push(...(choice.logprobs?.tokens ?? []));
          got.offsets.push(...(choice.logprobs?.text_offset ?? []));
          got.logprobs.push(...(choice.logprobs?.token_logprobs ?? []));
          got.top.push(...(choice.logprobs?.top_logprobs ?? []));
          await onChunk(++chunks);
        }
        if (chunk.usage) got.usage = chunk.usage;
      }
      return { ...got, region: response.headers.get('x-switchyard-region') };
    };
    const { whole, continued } = await wholeThenKilled(read, 6);
    expect(continued.text).toBe(whole.text);
    expect(continued.ids.size).toBe(1);
    // The concatenated tokens are the text; offsets rise, each where its token starts.
    expect(continued.tokens.join('')).toBe(continued.text);
    expect(continued.offsets).toEqual(continued.tokens.map((_, i) => [...continued.tokens.slice(0, i).join('')].length));
    expect({ tokens: continued.tokens, offsets: continued.offsets, logprobs: continued.logprobs, top: continued.top }).toEqual({ tokens: whole.tokens, offsets: whole.offsets, logprobs: whole.logprobs, top: whole.top });
    expect(continued.usage?.completion_tokens).toBe(whole.usage?.completion_tokens);
    expect(logs.at(-1)?.continuation).toEqual({ outcome: 'continued', legs: 2 });
    await us.stop('SIGKILL');
  });

  it('ends with the error event only when no region can continue, and counts it', async () => {
    // us-east is down (refused before the first byte: the stream starts in eu-west); eu-west dies mid-stream.
    const received: string[] = [];
    const consumeAll = async () => {
      const stream = await client.chat.completions.create(request);
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta.content;
        if (!piece) continue;
        received.push(piece);
        if (received.length === 8) await eu.stop('SIGKILL');
      }
    };
    await expect(consumeAll()).rejects.toThrow(/ended the stream before it was complete/);
    expect(received.length).toBeGreaterThanOrEqual(8);
    const line = logs.at(-1);
    expect(line?.streamOutcome).toBe('stream_truncated');
    expect(line?.continuation).toMatchObject({ outcome: 'failed', legs: 1, detail: expect.stringMatching(/no endpoint continued it/) });
    const metrics = new Scrape(await (await fetch(`${gateway!.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text());
    expect(metrics.sum('switchyard_stream_continuations_total', { outcome: 'continued' })).toBe(5);
    expect(metrics.sum('switchyard_stream_continuations_total', { outcome: 'failed' })).toBe(1);
  });
});
