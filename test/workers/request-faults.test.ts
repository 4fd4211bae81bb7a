// Failures that follow a request, not an endpoint, inside workerd in front of the simulators:
// one tenant's bad requests must not take a model offline for another tenant.
import { describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../workers/gateway.ts';
import { dispatchRead, testEnv } from './dispatch.ts';

const fleet = inject('fleet');
const keys = inject('keys');
const simUrls = inject('simUrls');
const worker = createWorker(fleet);
const EIGHT_B_SIMS = ['us-east-8b', 'eu-west-8b', 'apac-8b'] as const;

async function setFaults(patch: Record<string, unknown>): Promise<void> {
  for (const name of EIGHT_B_SIMS) {
    expect((await fetch(`${simUrls[name]}/sim/faults`, { method: 'POST', body: JSON.stringify(patch) })).status).toBe(200);
  }
}

/** How many of the model's servers received a request marked `user` (the sims' request logs; other tests share these servers). */
async function receivedMarked(user: string): Promise<number> {
  let n = 0;
  for (const name of EIGHT_B_SIMS) {
    const log = (await (await fetch(`${simUrls[name]}/sim/requests`)).json()) as { body?: { user?: unknown } }[];
    n += log.filter((r) => r.body?.user === user).length;
  }
  return n;
}

function deepTools(depth: number): unknown[] {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { inner: schema } };
  return [{ type: 'function', function: { name: 'lookup', parameters: schema } }];
}

describe('a failure that follows the request, in workerd', () => {
  it("keeps a tenant's bad requests from taking the model offline for another tenant", async () => {
    const env = testEnv(); // its own isolate state: breakers start closed
    const chat = (key: string, extra: Record<string, unknown>) =>
      dispatchRead(
        worker,
        new Request('https://gateway.test/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Say something.' }], max_tokens: 4, ...extra }),
        }),
        env,
      );
    await setFaults({ nestingLimit: 24 });
    try {
      for (let i = 0; i < 10; i++) {
        const user = `deep-${crypto.randomUUID()}`;
        const response = await chat(keys.any, { tools: deepTools(20), user });
        expect(response.status).toBe(502);
        // Sent once: every server of the model would fail this body the same way.
        expect(await receivedMarked(user)).toBe(1);
      }
      for (let i = 0; i < 6; i++) {
        const response = await chat(keys.other, {});
        expect(response.status).toBe(200);
      }
    } finally {
      await setFaults({ nestingLimit: null });
    }
  });
});

describe('what the client is told when an upstream fails, in workerd', () => {
  it("answers a refused connection with a status and a summary, never fetch's error", async () => {
    const response = await dispatchRead(
      worker,
      new Request('https://gateway.test/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${keys.eu}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'residency-model', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 }),
      }),
      testEnv(),
    );
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: { message: 'The upstream could not be reached.', type: 'service_unavailable_error', param: null, code: 'upstream_unreachable' } });
  });
});

describe('an upstream that redirects, in workerd', () => {
  it('is not followed: the next endpoint serves, and the redirect target never sees the prompt', async () => {
    // us-east's failover-model endpoint sends everything to a server outside the model's endpoints.
    const target = `${simUrls['us-east-probe']}/v1/chat/completions`;
    const setRedirect = async (redirectTo: string | null) =>
      expect((await fetch(`${simUrls['us-east-failing']}/sim/faults`, { method: 'POST', body: JSON.stringify({ redirectTo }) })).status).toBe(200);
    await setRedirect(target);
    try {
      const user = `redirect-${crypto.randomUUID()}`;
      const response = await dispatchRead(
        worker,
        new Request('https://gateway.test/v1/chat/completions', {
          method: 'POST',
          headers: { authorization: `Bearer ${keys.any}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'failover-model', messages: [{ role: 'user', content: 'a private prompt' }], max_tokens: 4, user }),
          cf: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
        }),
        testEnv(),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('x-switchyard-region')).toBe('eu-west');
      const redirected = (await (await fetch(`${simUrls['us-east-failing']}/sim/requests`)).json()) as { body?: { user?: unknown } }[];
      expect(redirected.filter((r) => r.body?.user === user)).toHaveLength(1);
      const reached = (await (await fetch(`${simUrls['us-east-probe']}/sim/requests`)).json()) as { body?: { user?: unknown } }[];
      expect(reached.filter((r) => r.body?.user === user)).toHaveLength(0);
    } finally {
      await setRedirect(null);
    }
  });
});
