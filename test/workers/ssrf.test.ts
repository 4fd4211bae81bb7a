// Inside workerd (fetch transport, the Worker's own Request/URL): requests that try to steer the
// gateway to another server — here a real one, the probe-model simulator, which no request for
// llama-3.1-8b may reach — through the model id or Host / X-Forwarded-Host / Forwarded headers.
import { describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../workers/gateway.ts';
import { dispatchRead, testEnv } from './dispatch.ts';

const fleet = inject('fleet');
const keys = inject('keys');
const simUrls = inject('simUrls');
const worker = createWorker(fleet);
const TARGET = simUrls['us-east-probe'] ?? '';
const TARGET_HOST = new URL(TARGET).host;
const EIGHT_B_SIMS = ['us-east-8b', 'eu-west-8b', 'apac-8b'] as const;

/** Requests marked `user` that a simulator received. */
async function receivedBy(name: string, user: string): Promise<number> {
  const log = (await (await fetch(`${simUrls[name]}/sim/requests`)).json()) as { body?: { user?: unknown } }[];
  return log.filter((r) => r.body?.user === user).length;
}

const chat = (model: string, user: string, headers: Record<string, string> = {}) =>
  dispatchRead(
    worker,
    new Request('https://gateway.test/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.any}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2, user }),
      cf: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
    }),
    testEnv(),
  );

describe('steering the Worker to another server', () => {
  it('through the model id: refused as an unknown model, nothing reaches the other server', async () => {
    const user = `ssrf-model-${crypto.randomUUID()}`;
    for (const model of [`${TARGET}/v1`, `llama-3.1-8b@${TARGET_HOST}`, `${TARGET_HOST}@llama-3.1-8b`, `//${TARGET_HOST}/v1`, '../../us-east-probe', `llama-3.1-8b/../../${TARGET_HOST}`, '..%2f..%2fprobe-model', 'llama-3.1-8b#@evil', 'us-east-probe']) {
      const response = await chat(model, user);
      expect([400, 404], model).toContain(response.status);
    }
    expect(await receivedBy('us-east-probe', user)).toBe(0);
  });

  it('through Host, X-Forwarded-Host, Forwarded and X-Original-URL: served by the model’s own endpoint, nothing reaches the other server', async () => {
    const user = `ssrf-header-${crypto.randomUUID()}`;
    const response = await chat('llama-3.1-8b', user, {
      'x-forwarded-host': TARGET_HOST,
      'x-forwarded-proto': 'http',
      forwarded: `host=${TARGET_HOST};proto=http`,
      'x-original-url': `${TARGET}/v1/chat/completions`,
      'x-host': TARGET_HOST,
    });
    expect(response.status).toBe(200);
    expect(await receivedBy('us-east-probe', user)).toBe(0);
    let served = 0;
    for (const name of EIGHT_B_SIMS) served += await receivedBy(name, user);
    expect(served).toBe(1);
  });
});
