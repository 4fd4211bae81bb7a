// Tokens per minute and budgets on the request path: admitted after the cache with an estimate,
// settled with the usage and cost the gateway metered. The official openai client against
// `switchyard serve`'s code (in process) in front of a real simulated vLLM server.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import type { KeyRecord } from '../../src/auth/key-record.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import type { RequestLog } from '../../src/observe/request-log.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

let sim: SimServer;
let gateway: NodeGateway;
const logs: RequestLog[] = [];
const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
const made: Record<'tpm' | 'budget' | 'cached', { key: string; record: KeyRecord }> = {} as never;

beforeAll(async () => {
  sim = await startSim({ models: ['llama-3.1-8b'], profile: 'fast' });
  const fleet = compileFleet(
    parseFleet(
      [
        regionDoc('us-east', 38.9, -77.4, 'NA', 'pricing: { inputPerMillionTokensUsd: 100, outputPerMillionTokensUsd: 100 }', `endpoints: [{ model: llama-3.1-8b, url: "${sim.url}" }]`),
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: llama-3.1-8b }\nspec: { predictor: { model: { modelFormat: { name: vLLM } } } }\n',
      ].join('---\n'),
      'limits.yaml',
    ),
  );
  made.tpm = await keys.create({ tenant: 'tpm', limits: { tpm: 300 } });
  // $100 per million tokens: a budget of $0.002 is 20 tokens, spent by the first request.
  made.budget = await keys.create({ tenant: 'budget', budgets: { daily: { usd: 0.002 } } });
  made.cached = await keys.create({ tenant: 'cached', limits: { tpm: 120 } });
  gateway = await startNodeGateway({ fleet, keys: Object.values(made).map((m) => m.record), env: {}, probeIntervalMs: 0, log: (l) => logs.push(l), metrics: { flushMs: 0 } });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await sim?.close();
});

const chat = (key: string, content: string, extra: Record<string, unknown> = {}) =>
  fetch(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content }], max_tokens: 100, ...extra }),
  });

/** The request's log line, once written (after the answer: settling happens there too). */
async function settled(requestId: string | null): Promise<RequestLog> {
  for (let i = 0; i < 100; i++) {
    const line = logs.find((l) => l.requestId === requestId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no log line for ${requestId}`);
}

describe('tokens per minute and budgets on the request path', () => {
  it('counts the estimate, gives back what the call did not use, and refuses with OpenAI headers once tokens run out', async () => {
    const first = await chat(made.tpm.key, 'Hello');
    expect(first.status).toBe(200);
    // Admitted against the estimate: prompt bytes / 4 + max_tokens (100).
    expect(first.headers.get('x-ratelimit-limit-tokens')).toBe('300');
    const afterEstimate = Number(first.headers.get('x-ratelimit-remaining-tokens'));
    expect(afterEstimate).toBeLessThanOrEqual(300 - 100);
    const line = await settled(first.headers.get('x-request-id'));
    const used = (line.usage?.input ?? 0) + (line.usage?.output ?? 0);
    expect(used).toBeGreaterThan(0);

    // The next answer's remaining count shows the estimate replaced by the real usage.
    const second = await chat(made.tpm.key, 'Hello');
    expect(second.status).toBe(200);
    const estimate = 300 - afterEstimate;
    expect(Number(second.headers.get('x-ratelimit-remaining-tokens'))).toBe(300 - used - estimate);
    await settled(second.headers.get('x-request-id'));

    // Asking for more than is left is refused before any upstream call.
    const before = sim.requests().length;
    const refused = await chat(made.tpm.key, 'Hello', { max_tokens: 400 });
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { code: string; type: string } };
    // OpenAI's own type for a tokens-per-minute refusal is `tokens` (`requests` for requests per minute).
    expect(body.error).toMatchObject({ code: 'rate_limit_exceeded', type: 'tokens' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(refused.headers.get('x-ratelimit-reset-tokens')).toMatch(/^(\d+h)?(\d+m)?\d+m?s$/); // OpenAI's form: 20ms, 12s, 1m0s
    expect(sim.requests().length).toBe(before);
  });

  it('charges the metered cost to a dollar budget and refuses with insufficient_quota once it is spent', async () => {
    const first = await chat(made.budget.key, 'Tell me something');
    expect(first.status).toBe(200);
    const line = await settled(first.headers.get('x-request-id'));
    expect(line.costUsd).toBeGreaterThan(0.002);
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: made.budget.key, maxRetries: 0 });
    const error = await client.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'again' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('insufficient_quota');
  });

  it('lets cache hits through without counting tokens (they still count as requests)', async () => {
    const deterministic = { temperature: 0, max_tokens: 20 };
    const first = await chat(made.cached.key, 'Same question every time', deterministic);
    expect(first.status).toBe(200);
    await settled(first.headers.get('x-request-id'));
    // Far more hits than 120 tokens a minute would allow if each counted its tokens.
    for (let i = 0; i < 12; i++) {
      const hit = await chat(made.cached.key, 'Same question every time', deterministic);
      expect(hit.status).toBe(200);
      expect(hit.headers.get('x-switchyard-cache')).toMatch(/^hit-/);
      expect(hit.headers.get('x-ratelimit-remaining-tokens')).toBeNull();
      expect((await settled(hit.headers.get('x-request-id'))).costUsd).toBe(0);
    }
  });
});
