// Failures that follow a request, not an endpoint, with real processes: `switchyard serve` in
// front of the simulated federation. One tenant's bad requests must not take a model offline
// for another tenant, and what an upstream says when it fails must not reach the client as is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServeStack, type ServeStack } from '../support/serve-stack.ts';

let stack: ServeStack;
beforeAll(async () => {
  // No prober: what the gateway says about a dead endpoint comes from live traffic, every run alike.
  stack = await startServeStack({}, ['--probe-interval', '0']);
});
afterAll(async () => {
  await stack?.stop();
});

const EIGHT_B_SIMS = ['us-east-8b', 'eu-west-8b', 'apac-8b'] as const;

async function setFaults(patch: Record<string, unknown>): Promise<void> {
  for (const name of EIGHT_B_SIMS) {
    const response = await fetch(`${stack.info.simUrls[name]}/sim/faults`, { method: 'POST', body: JSON.stringify(patch) });
    expect(response.status).toBe(200);
  }
}

/** Requests the model's servers received since the last call (their request logs, cleared). */
async function received(): Promise<number> {
  let n = 0;
  for (const name of EIGHT_B_SIMS) {
    const url = `${stack.info.simUrls[name]}/sim/requests`;
    n += ((await (await fetch(url)).json()) as unknown[]).length;
    await fetch(url, { method: 'DELETE' });
  }
  return n;
}

async function chat(key: string, body: Record<string, unknown>): Promise<Response> {
  return fetch(`${stack.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Say something.' }], max_tokens: 4, ...body }),
  });
}

/** A function tool whose parameter schema nests `depth` objects deep (valid JSON Schema, and far too deep for the upstream's template). */
function deepTools(depth: number): unknown[] {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < depth; i++) schema = { type: 'object', properties: { inner: schema } };
  return [{ type: 'function', function: { name: 'lookup', parameters: schema } }];
}

describe('a failure that follows the request', () => {
  it("keeps a tenant's bad requests from taking the model offline for another tenant", async () => {
    // Every llama-3.1-8b server fails a request nested deeper than 24 levels (a Python RecursionError).
    await setFaults({ nestingLimit: 24 });
    await received();
    try {
      for (let i = 0; i < 12; i++) {
        const response = await chat(stack.info.keys.any, { tools: deepTools(20) });
        expect(response.status).toBe(502);
        await response.arrayBuffer();
      }
      // Each sent once: the same body fails the same way on every server of the model.
      expect(await received()).toBe(12);
      // The other tenant is served, from the region nearest to it as before.
      for (let i = 0; i < 6; i++) {
        const response = await chat(stack.info.keys.other, {});
        expect(response.status).toBe(200);
        expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
      }
    } finally {
      await setFaults({ nestingLimit: null });
    }
  });
});

describe('what the client is told when an upstream fails', () => {
  it('answers a refused connection with a status and a summary, never the socket error and its address', async () => {
    // The EU key's only endpoint for residency-model has nothing listening.
    const response = await chat(stack.info.keys.eu, { model: 'residency-model' });
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: { message: 'The upstream could not be reached.', type: 'service_unavailable_error', param: null, code: 'upstream_unreachable' } });
    expect(text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|:\d{4,5}/);
  });

  it('answers a 500 with a traceback without the traceback, its paths or hosts', async () => {
    await setFaults({ nestingLimit: 24 });
    try {
      const response = await chat(stack.info.keys.any, { tools: deepTools(20) });
      expect(response.status).toBe(502);
      const text = await response.text();
      expect(text).not.toMatch(/Traceback|site-packages|\/usr\/local|svc\.cluster\.local|RecursionError/);
      expect((JSON.parse(text) as { error: { code: string } }).error.code).toBe('upstream_error');
    } finally {
      await setFaults({ nestingLimit: null });
    }
  });

  it('ends a stream the upstream cut with an error event that names no socket or address', async () => {
    const response = await chat(stack.info.keys.any, { model: 'cut-model', stream: true, max_tokens: 20 });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/event: error\ndata: .*"code":"stream_truncated"/);
    expect(text).not.toMatch(/127\.0\.0\.1|ECONNRESET|socket|other side closed/i);
  });
});

describe('a stream cut midway', () => {
  it('counts against its endpoint: one that cuts every stream after 3 chunks leaves rotation', async () => {
    const cutting = `${stack.info.simUrls['us-east-8b']}/sim/faults`;
    expect((await fetch(cutting, { method: 'POST', body: JSON.stringify({ cutAfterChunks: 3 }) })).status).toBe(200);
    try {
      // Routing spreads this tenant over three regions, about a third of its streams starting in
      // us-east. The test fleet opts in to mid-stream failover, so a cut stream is continued in
      // another region and still ends with [DONE]: a cut shows as a stream that started in us-east.
      const streamOnce = async (): Promise<boolean> => {
        const response = await chat(stack.info.keys.other, { stream: true, max_tokens: 8 });
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
        return response.headers.get('x-switchyard-region') === 'us-east';
      };
      let cuts = 0;
      for (let i = 0; i < 60; i++) if (await streamOnce()) cuts++;
      // Were a cut not the endpoint's failure, ~20 of the 60 would have been cut. Each cut raises
      // its error rate, which steers streams elsewhere (and 5 in a row open its breaker).
      expect(cuts).toBeGreaterThanOrEqual(1);
      expect(cuts).toBeLessThanOrEqual(5);
    } finally {
      await fetch(cutting, { method: 'POST', body: JSON.stringify({ cutAfterChunks: null }) });
    }
  });
});
