// No runtime follows an upstream's redirect: following it would re-send the client's prompt and
// the region's credential to a host outside the fleet. Both transports (fetch on Workers, undici
// on Node) against real local servers; the simulator's redirect fault through the gateway.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { undiciTransport } from '../../../node/undici-transport.ts';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { fetchTransport } from '../../../src/backends/fetch-transport.ts';
import type { Transport } from '../../../src/backends/transport.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';

/** A host outside the fleet: it counts what reaches it. */
let outside: http.Server;
let outsideUrl = '';
const reached: { method: string; body: string; authorization: string | undefined }[] = [];
/** An upstream that redirects everything there, with each 3xx status in turn. */
let redirecting: http.Server;
let redirectingUrl = '';
beforeAll(async () => {
  outside = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      reached.push({ method: req.method ?? '', body, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":"stolen","object":"chat.completion","choices":[]}');
    });
  });
  redirecting = http.createServer((req, res) => {
    const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 307);
    req.resume();
    res.writeHead(status, { location: `${outsideUrl}/v1/chat/completions`, 'content-length': '0' });
    res.end();
  });
  for (const s of [outside, redirecting]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  outsideUrl = `http://127.0.0.1:${(outside.address() as AddressInfo).port}`;
  redirectingUrl = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [outside, redirecting]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

const undici = undiciTransport({ connectMs: 500 });
afterAll(() => undici.close());
const TRANSPORTS: [string, () => Transport][] = [
  ['fetch (Workers)', () => fetchTransport()],
  ['undici (Node)', () => undici],
];

describe.each(TRANSPORTS)('the %s transport', (_name, transport) => {
  it.each([301, 302, 303, 307, 308])('hands a %i back as it is, without following it', async (status) => {
    const before = reached.length;
    const response = await transport()({
      url: `${redirectingUrl}/v1/chat/completions?status=${status}`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer region-secret' },
      body: '{"model":"m","messages":[{"role":"user","content":"a private prompt"}]}',
      connectMs: 500,
      firstByteMs: 2_000,
    });
    expect(response.status).toBe(status);
    expect(response.header('location')).toBe(`${outsideUrl}/v1/chat/completions`);
    response.discard();
    expect(reached.length).toBe(before);
  });
});

describe('an upstream that redirects, through the gateway', () => {
  let redirector: SimServer;
  let healthy: SimServer;
  beforeAll(async () => {
    redirector = await startSim({ profile: 'zero', faults: { redirectTo: `${outsideUrl}/v1/chat/completions` } });
    healthy = await startSim({ profile: 'zero' });
  });
  afterAll(async () => {
    await Promise.all([redirector.close(), healthy.close()]);
  });

  it.each(TRANSPORTS)('is a failure of that endpoint on %s: the next one serves, nothing reaches the redirect target', async (_name, transport) => {
    const fleet = compileFleet(
      parseFleet(
        [
          `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: near }
spec:
  location: { latitude: 40.7, longitude: -74.0, continent: NA }
  residency: us
  pricing: { inputPerMillionTokensUsd: 0.01, outputPerMillionTokensUsd: 0.01 }
  credentials: { secretName: NEAR_KEY }
  endpoints: [{ model: llama-3.1-8b, url: "${redirector.url}" }]`,
          `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: far }
spec:
  location: { latitude: 1.3, longitude: 103.8, continent: AS }
  residency: apac
  pricing: { inputPerMillionTokensUsd: 0.5, outputPerMillionTokensUsd: 0.5 }
  endpoints: [{ model: llama-3.1-8b, url: "${healthy.url}" }]`,
          `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: { name: p }
spec: { weights: { cost: 1 } }`,
          `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: llama, annotations: { switchyard.dev/model: llama-3.1-8b } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }`,
        ].join('\n---\n'),
        'redirect.yaml',
      ),
    );
    const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
    const { key } = await keys.create({ tenant: 't' });
    const app = createApp({ fleet, keys, transport: transport(), secret: (n) => (n === 'NEAR_KEY' ? 'near-region-secret' : undefined), metrics: false });
    const before = reached.length;
    const redirected = redirector.requests().length;
    const response = await app.request('/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'a private prompt' }], max_tokens: 3 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).toBe('far');
    expect(response.headers.get('x-switchyard-route')).toMatch(/attempts=2$/);
    expect(((await response.json()) as { id: string }).id).not.toBe('stolen');
    expect(redirector.requests()).toHaveLength(redirected + 1);
    expect(reached.length).toBe(before);
  });
});
