import { refusedPort } from '../../support/ports.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../../infra/local/sim/server.ts';
import { undiciTransport } from '../../../node/undici-transport.ts';
import { fetchTransport } from '../../../src/backends/fetch-transport.ts';
import type { Transport, UpstreamRequest, UpstreamResponse } from '../../../src/backends/transport.ts';
import { PATH_PREFIX } from '../../../src/fleet/compiled.ts';
import type { CompiledEndpoint } from '../../../src/fleet/compiled.ts';
import { probeEndpoint, probeFleet, probeServer } from '../../../src/health/probe.ts';
import { serverRoot } from '../../../src/health/server-root.ts';

const now = () => 1_700_000_000_000;

function endpoint(id: string, root: string, pathStyle: CompiledEndpoint['pathStyle'] = 'v1', region = 'r1'): CompiledEndpoint {
  return { id, model: 'm', region, baseUrl: root + PATH_PREFIX[pathStyle], pathStyle, weight: 1, backend: 'vllm' };
}

/** A server that accepts connections and requests and never answers. */
async function hangingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that refuses connections, and keeps refusing them. */
const closedPortUrl = async () => `http://127.0.0.1:${await refusedPort()}`;

describe('serverRoot', () => {
  it('strips the OpenAI prefix of either path style', () => {
    expect(serverRoot({ baseUrl: 'https://a.ns.example.com/v1', pathStyle: 'v1' })).toBe('https://a.ns.example.com');
    expect(serverRoot({ baseUrl: 'https://a.ns.example.com/openai/v1', pathStyle: 'openai-v1' })).toBe('https://a.ns.example.com');
    expect(serverRoot({ baseUrl: 'http://h:1/proxy/v1/', pathStyle: 'v1' })).toBe('http://h:1/proxy');
  });

  it('mirrors the compiler prefixes', () => {
    for (const style of ['v1', 'openai-v1'] as const) {
      expect(serverRoot({ baseUrl: `http://h${PATH_PREFIX[style]}`, pathStyle: style })).toBe('http://h');
    }
  });
});

const transports: Array<[string, () => Transport & { close?: () => Promise<void> }]> = [
  ['fetch', () => fetchTransport()],
  ['undici', () => undiciTransport({ connectMs: 1_000 })],
];

describe.each(transports)('probe against real servers over %s', (_name, makeTransport) => {
  let sim: SimServer;
  let openaiSim: SimServer;
  let sick: SimServer;
  let hang: Awaited<ReturnType<typeof hangingServer>>;
  let closed: string;
  let transport: ReturnType<typeof makeTransport>;

  beforeAll(async () => {
    [sim, openaiSim, sick, hang, closed] = await Promise.all([
      startSim({ pathStyle: 'v1' }),
      startSim({ pathStyle: 'openai', models: ['qwen2.5-32b'] }),
      startSim({ faults: { unhealthy: true } }),
      hangingServer(),
      closedPortUrl(),
    ]);
    transport = makeTransport();
  });
  afterAll(async () => {
    await Promise.all([sim.close(), openaiSim.close(), sick.close(), hang.close(), transport.close?.()]);
  });

  it('a healthy server gives healthy with its metrics', async () => {
    const sample = await probeEndpoint(endpoint('r1/m/0', sim.url), transport, { timeoutMs: 2_000, now });
    expect(sample).toEqual({ healthy: true, checkedAt: now(), waiting: 0, running: 0, kvCacheUsage: 0, served: ['llama-3.1-8b'] });
  });

  it("reads what the server really serves from its model list, and sees a model it stopped serving go", async () => {
    const two = await startSim({ models: ['llama-3.1-8b', 'llama-3.1-8b-lora'] });
    try {
      const before = await probeEndpoint(endpoint('r1/m/0', two.url), transport, { timeoutMs: 2_000, now });
      expect(before.served).toEqual(['llama-3.1-8b', 'llama-3.1-8b-lora']);
      two.setFaults({ unserved: ['llama-3.1-8b-lora'] });
      const after = await probeEndpoint(endpoint('r1/m/0', two.url), transport, { timeoutMs: 2_000, now });
      expect(after).toMatchObject({ healthy: true, served: ['llama-3.1-8b'] });
    } finally {
      await two.close();
    }
  });

  it('reads live load: requests in flight show as running', async () => {
    const abort = new AbortController();
    const body = JSON.stringify({ model: 'llama-3.1-8b', prompt: 'Count slowly.', max_tokens: 400, ignore_eos: true, stream: true });
    const inflight = [1, 2].map(() =>
      fetch(`${sim.url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal }).catch(() => undefined),
    );
    try {
      let running = 0;
      for (let i = 0; i < 50 && running < 2; i++) {
        running = (await probeEndpoint(endpoint('r1/m/0', sim.url), transport, { timeoutMs: 2_000, now })).running ?? 0;
        if (running < 2) await new Promise((r) => setTimeout(r, 20));
      }
      expect(running).toBe(2);
    } finally {
      abort.abort();
      await Promise.all(inflight);
    }
  });

  it('an /openai/v1 endpoint probes the server root', async () => {
    const sample = await probeEndpoint(endpoint('r1/q/0', openaiSim.url, 'openai-v1'), transport, { timeoutMs: 2_000, now });
    expect(sample.healthy).toBe(true);
    expect(sample.kvCacheUsage).toBe(0);
  });

  it('/health answering 503 is unhealthy (metrics still read)', async () => {
    const sample = await probeEndpoint(endpoint('r1/m/0', sick.url), transport, { timeoutMs: 2_000, now });
    expect(sample.healthy).toBe(false);
    expect(sample.error).toBe('/health answered 503');
    expect(sample.waiting).toBe(0);
  });

  it('a closed port is unhealthy with the error, without throwing', async () => {
    const sample = await probeEndpoint(endpoint('r1/m/0', closed), transport, { timeoutMs: 2_000, now });
    expect(sample.healthy).toBe(false);
    expect(sample.error).toMatch(/network|connect/);
    expect(sample.waiting).toBeUndefined();
  });

  it('a server that never answers is unhealthy within the timeout', async () => {
    const started = Date.now();
    const sample = await probeEndpoint(endpoint('r1/m/0', hang.url), transport, { timeoutMs: 250, now });
    const elapsed = Date.now() - started;
    expect(sample).toEqual({ healthy: false, checkedAt: now(), error: 'timeout: no answer within 250 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(240);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('probes a whole fleet at once, one sample per endpoint', async () => {
    const fleet = {
      endpoints: [
        endpoint('us/m/0', sim.url),
        endpoint('us/q/0', openaiSim.url, 'openai-v1'),
        endpoint('eu/m/0', sick.url),
        endpoint('eu/q/0', sick.url, 'openai-v1'),
        endpoint('ap/m/0', hang.url),
        endpoint('ap/q/0', closed),
      ],
    };
    const started = Date.now();
    const snapshot = await probeFleet(fleet, transport, { timeoutMs: 250, now, concurrency: 6 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(snapshot.takenAt).toBe(now());
    expect(Object.keys(snapshot.endpoints).sort()).toEqual(['ap/m/0', 'ap/q/0', 'eu/m/0', 'eu/q/0', 'us/m/0', 'us/q/0']);
    const healthy = Object.entries(snapshot.endpoints).filter(([, s]) => s.healthy).map(([id]) => id);
    expect(healthy.sort()).toEqual(['us/m/0', 'us/q/0']);
    expect(snapshot.endpoints['eu/q/0']).toEqual(snapshot.endpoints['eu/m/0']);
    expect(snapshot.endpoints['ap/m/0']?.error).toMatch(/^timeout/);
    // The snapshot survives JSON (what the store keeps).
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});

// ---------------------------------------------------------------- a scripted transport

type Script = (request: UpstreamRequest) => Promise<UpstreamResponse>;

function response(status: number, body = '', chunkBytes = 1 << 20): UpstreamResponse {
  const bytes = new TextEncoder().encode(body);
  return {
    status,
    header: () => null,
    bytes: async () => bytes,
    reader() {
      let offset = 0;
      return {
        read: async () => {
          if (offset >= bytes.length) return { done: true };
          const value = bytes.subarray(offset, offset + chunkBytes);
          offset += chunkBytes;
          return { done: false, value };
        },
        cancel: async () => {},
      };
    },
    discard: () => {},
  };
}

const METRICS = 'vllm:num_requests_waiting{model_name="m"} 3\nvllm:num_requests_running{model_name="m"} 4\nvllm:kv_cache_usage_perc{model_name="m"} 0.5\n';

function scripted(script: Script): Transport & { calls: UpstreamRequest[] } {
  const calls: UpstreamRequest[] = [];
  return Object.assign((request: UpstreamRequest) => {
    calls.push(request);
    return script(request);
  }, { calls });
}

const MODELS = JSON.stringify({ object: 'list', data: [{ id: 'm', object: 'model' }] });
const ok: Script = async (r) => (r.url.endsWith('/health') ? response(200) : r.url.endsWith('/models') ? response(200, MODELS) : response(200, METRICS));

describe('probe with a scripted transport', () => {
  it('GETs /health and /metrics at the root and the model list under the OpenAI prefix, with the credential when given', async () => {
    const t = scripted(ok);
    const sample = await probeEndpoint(endpoint('r/m/0', 'https://h.ns.example'), t, { timeoutMs: 100, now, credential: 'tok' });
    expect(sample).toEqual({ healthy: true, checkedAt: now(), waiting: 3, running: 4, kvCacheUsage: 0.5, served: ['m'] });
    expect(t.calls.map((c) => [c.method, c.url, c.headers['authorization']])).toEqual([
      ['GET', 'https://h.ns.example/health', 'Bearer tok'],
      ['GET', 'https://h.ns.example/metrics', 'Bearer tok'],
      ['GET', 'https://h.ns.example/v1/models', 'Bearer tok'],
    ]);
  });

  it('leaves the served list unknown when the model list fails or is not a list, and cuts a huge one', async () => {
    for (const answer of [response(404, 'nope'), response(200, 'not json'), response(200, '{"data":{}}')]) {
      const t = scripted(async (r) => (r.url.endsWith('/models') ? answer : ok(r)));
      const sample = await probeServer('http://h', t, { timeoutMs: 100, now });
      expect(sample.healthy).toBe(true);
      expect(sample.served).toBeUndefined();
    }
    const many = JSON.stringify({ data: Array.from({ length: 1000 }, (_, i) => ({ id: `m${i}` })) });
    const t = scripted(async (r) => (r.url.endsWith('/models') ? response(200, many) : ok(r)));
    expect((await probeServer('http://h', t, { timeoutMs: 100, now })).served).toHaveLength(256);
  });

  it('a /metrics failure alone leaves the server healthy, without metrics', async () => {
    const t = scripted(async (r) => (r.url.endsWith('/health') ? response(200) : r.url.endsWith('/metrics') ? response(404, 'nope') : ok(r)));
    expect(await probeServer('http://h', t, { timeoutMs: 100, now })).toEqual({ healthy: true, checkedAt: now(), served: ['m'], error: 'metrics: /metrics answered 404' });
  });

  it('refuses an oversized /metrics body', async () => {
    const t = scripted(async (r) => (r.url.endsWith('/health') ? response(200) : response(200, METRICS.repeat(100), 64)));
    const sample = await probeServer('http://h', t, { timeoutMs: 100, now, maxMetricsBytes: 1_000 });
    expect(sample.healthy).toBe(true);
    expect(sample.running).toBeUndefined();
    expect(sample.error).toBe('metrics: body exceeds 1000 bytes');
  });

  it('times out even when the transport ignores the abort signal', async () => {
    const t = scripted(() => new Promise<UpstreamResponse>(() => {}));
    const started = Date.now();
    const sample = await probeServer('http://h', t, { timeoutMs: 50, now });
    expect(Date.now() - started).toBeLessThan(500);
    expect(sample).toEqual({ healthy: false, checkedAt: now(), error: 'timeout: no answer within 50 ms' });
  });

  it('times out a /metrics body that stalls after the headers', async () => {
    const stalled: UpstreamResponse = { ...response(200), reader: () => ({ read: () => new Promise(() => {}), cancel: async () => {} }) };
    const t = scripted(async (r) => (r.url.endsWith('/health') ? response(200) : stalled));
    const sample = await probeServer('http://h', t, { timeoutMs: 50, now });
    expect(sample).toEqual({ healthy: true, checkedAt: now(), error: 'metrics: timeout: no answer within 50 ms' });
  });

  it('never throws: a throwing transport or clock becomes an unhealthy sample', async () => {
    const t: Transport = () => {
      throw new Error('boom');
    };
    expect(await probeEndpoint(endpoint('r/m/0', 'http://h'), t, { timeoutMs: 50, now })).toEqual({ healthy: false, checkedAt: now(), error: 'boom' });
    const badClock = () => {
      throw new Error('no clock');
    };
    const sample = await probeEndpoint(endpoint('r/m/0', 'http://h'), scripted(ok), { timeoutMs: 50, now: badClock });
    expect(sample).toEqual({ healthy: false, checkedAt: 0, error: 'no clock' });
  });

  it('clips long error messages', async () => {
    const t: Transport = async () => {
      throw new Error('x'.repeat(5_000));
    };
    const sample = await probeServer('http://h', t, { timeoutMs: 50, now });
    expect(sample.error?.length).toBeLessThanOrEqual(200);
  });

  it('probes a server shared by several endpoints once per OpenAI prefix, with each region credential', async () => {
    const t = scripted(ok);
    const fleet = {
      endpoints: [
        endpoint('us/a/0', 'http://one'),
        endpoint('us/b/0', 'http://one', 'openai-v1'),
        endpoint('us/c/0', 'http://one/'.slice(0, -1)),
        endpoint('eu/a/0', 'http://two', 'v1', 'eu'),
      ],
    };
    const snapshot = await probeFleet(fleet, t, { timeoutMs: 100, now, credentialFor: (e) => `key-${e.region}` });
    // /openai/v1 lists models at its own route, so that endpoint's server is asked on its own.
    expect(t.calls.map((c) => `${c.url} ${c.headers['authorization']}`).sort()).toEqual([
      'http://one/health Bearer key-r1',
      'http://one/health Bearer key-r1',
      'http://one/metrics Bearer key-r1',
      'http://one/metrics Bearer key-r1',
      'http://one/openai/v1/models Bearer key-r1',
      'http://one/v1/models Bearer key-r1',
      'http://two/health Bearer key-eu',
      'http://two/metrics Bearer key-eu',
      'http://two/v1/models Bearer key-eu',
    ]);
    expect(Object.keys(snapshot.endpoints)).toEqual(['us/a/0', 'us/b/0', 'us/c/0', 'eu/a/0']);
    expect(snapshot.endpoints['us/b/0']).toEqual({ healthy: true, checkedAt: now(), waiting: 3, running: 4, kvCacheUsage: 0.5, served: ['m'] });
  });

  it('leaves SageMaker endpoints out: they have no /health, and no sample is not "down"', async () => {
    const t = scripted(ok);
    const sagemaker: CompiledEndpoint = { ...endpoint('us/sm/0', 'https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/x'), backend: 'sagemaker' };
    const snapshot = await probeFleet({ endpoints: [sagemaker, endpoint('us/a/0', 'http://one')] }, t, { timeoutMs: 100, now });
    expect(t.calls.map((c) => c.url).sort()).toEqual(['http://one/health', 'http://one/metrics', 'http://one/v1/models']);
    expect(Object.keys(snapshot.endpoints)).toEqual(['us/a/0']);
  });

  it('keeps at most `concurrency` servers in flight', async () => {
    let inflight = 0;
    let peak = 0;
    const t = scripted(async (r) => {
      inflight++;
      peak = Math.max(peak, inflight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inflight--;
      return ok(r);
    });
    const fleet = { endpoints: Array.from({ length: 10 }, (_, i) => endpoint(`r/m/${i}`, `http://h${i}`)) };
    const snapshot = await probeFleet(fleet, t, { timeoutMs: 1_000, now, concurrency: 2 });
    expect(peak).toBe(6); // two servers, three requests each
    expect(Object.values(snapshot.endpoints).every((s) => s.healthy)).toBe(true);
    expect(t.calls).toHaveLength(30);
  });

  it('a throwing credential lookup fails that endpoint only', async () => {
    const fleet = { endpoints: [endpoint('us/a/0', 'http://one'), endpoint('eu/a/0', 'http://two', 'v1', 'eu')] };
    const credentialFor = (e: CompiledEndpoint) => {
      if (e.region === 'eu') throw new Error('secret UPSTREAM_KEY_EU missing');
      return undefined;
    };
    const snapshot = await probeFleet(fleet, scripted(ok), { timeoutMs: 100, now, credentialFor });
    expect(snapshot.endpoints['us/a/0']?.healthy).toBe(true);
    expect(snapshot.endpoints['eu/a/0']).toEqual({ healthy: false, checkedAt: now(), error: 'credential: secret UPSTREAM_KEY_EU missing' });
  });

  it('an empty fleet is an empty snapshot', async () => {
    expect(await probeFleet({ endpoints: [] }, scripted(ok), { timeoutMs: 10, now })).toEqual({ takenAt: now(), endpoints: {} });
  });
});
