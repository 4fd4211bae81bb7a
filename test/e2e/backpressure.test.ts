// Honest backpressure: every refusal the gateway makes says when to come back (Retry-After)
// with the status that says what happened, and the official openai client's own retry logic
// backs off on it and succeeds once the upstream recovers. A permanent refusal (the key's
// scope) is 403 and is not retried.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import type { KeyRecord } from '../../src/auth/key-record.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

const MODEL = (name: string, regions: string) => `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: ${name}, annotations: { switchyard.dev/regions: "${regions}" } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
`;

let busy: SimServer;
let flaky: SimServer;
let gateway: NodeGateway;
const keys: { any: string; eu: string } = { any: '', eu: '' };
const records: KeyRecord[] = [];

beforeAll(async () => {
  [busy, flaky] = await Promise.all([startSim({ models: ['busy-model'], profile: 'fast' }), startSim({ models: ['flaky-model'], profile: 'fast' })]);
  const yaml = [
    regionDoc('us-east', 38.9, -77.4, 'NA', `endpoints: [{ model: busy-model, url: "${busy.url}" }, { model: flaky-model, url: "${flaky.url}" }]`),
    regionDoc('eu-west', 53.3, -6.3, 'EU'),
    MODEL('busy-model', 'us-east'),
    MODEL('flaky-model', 'us-east'),
  ].join('---\n');
  const store = new MemoryStore();
  const api = new ApiKeys(store, { memoTtlMs: 0 });
  const scopes: [keyof typeof keys, { residency?: string[] }][] = [['any', {}], ['eu', { residency: ['eu-west'] }]];
  for (const [name, scope] of scopes) {
    const made = await api.create({ tenant: name, ...scope });
    keys[name] = made.key;
    records.push(made.record);
  }
  gateway = await startNodeGateway({
    fleet: compileFleet(parseFleet(yaml, 'backpressure.yaml')),
    keys: records,
    env: {},
    probeIntervalMs: 0,
    // A short cooldown keeps the test short; the behaviour is the default one.
    breaker: { cooldownMs: 1_000, consecutiveFailures: 3 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([busy?.close(), flaky?.close()]);
});

/** A client whose every HTTP exchange is recorded (status, Retry-After), retries included. */
function client(key: string, maxRetries: number) {
  const seen: { status: number; retryAfter: string | null; retryAfterMs: string | null; at: number }[] = [];
  const openai = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: key,
    maxRetries,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      seen.push({ status: res.status, retryAfter: res.headers.get('retry-after'), retryAfterMs: res.headers.get('retry-after-ms'), at: Date.now() });
      return res;
    },
  });
  return { openai, seen };
}

const ask = (c: OpenAI, model: string) => c.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

describe('backpressure the official client can act on', () => {
  it('relays an upstream 429 with its Retry-After, refuses with 429 while every endpoint is saturated, and the client succeeds once it recovers', async () => {
    busy.setFaults({ errorRate: 1, errorStatus: 429, retryAfterSeconds: 1 });
    const first = client(keys.any, 0);
    const error = await ask(first.openai, 'busy-model').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(first.seen).toEqual([expect.objectContaining({ status: 429, retryAfter: '1' })]);

    // While the mark lasts the gateway answers itself: 429 rate_limit_error, the time left in Retry-After.
    const refused = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.any}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'busy-model', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { error: { type: string; code: string } }).error).toMatchObject({ type: 'rate_limit_error', code: 'upstream_saturated' });
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeLessThanOrEqual(1_000);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(busy.requests()).toHaveLength(1); // the refusal never reached the pool

    busy.resetFaults();
    const second = client(keys.any, 3);
    const started = Date.now();
    const answer = await ask(second.openai, 'busy-model');
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    // Whatever the client met first, it waited as told, not at once.
    if (second.seen.length > 1) expect((second.seen[1]?.at ?? 0) - started).toBeGreaterThanOrEqual(Number(second.seen[0]?.retryAfterMs ?? 0) - 50);
    expect(second.seen.at(-1)?.status).toBe(200);
  }, 20_000);

  it("refuses with 503 and the breaker's cooldown as Retry-After while every endpoint rests, and the client gets through after it", async () => {
    flaky.setFaults({ errorRate: 1, errorStatus: 502 });
    const opener = client(keys.any, 0);
    for (let i = 0; i < 3; i++) await ask(opener.openai, 'flaky-model').catch(() => undefined);
    expect(opener.seen.map((s) => s.status)).toEqual([502, 502, 502]);
    flaky.resetFaults();

    const patient = client(keys.any, 3);
    const answer = await ask(patient.openai, 'flaky-model');
    expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(patient.seen[0]).toMatchObject({ status: 503 });
    expect(Number(patient.seen[0]?.retryAfterMs)).toBeGreaterThan(0);
    expect(Number(patient.seen[0]?.retryAfterMs)).toBeLessThanOrEqual(1_000);
    expect(patient.seen.at(-1)?.status).toBe(200);
    // It waited about the cooldown before the attempt that went through.
    expect((patient.seen.at(-1)?.at ?? 0) - (patient.seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(Number(patient.seen[0]?.retryAfterMs) - 50);
  }, 20_000);

  it('answers 403 permission_denied, once, when the key scope excludes every region serving the model', async () => {
    const scoped = client(keys.eu, 3);
    const error = await ask(scoped.openai, 'busy-model').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(scoped.seen).toEqual([expect.objectContaining({ status: 403, retryAfter: null })]);
  });
});
