// A browser calling the gateway directly: a page from an allowed origin (the fleet's
// RoutingPolicy cors.allowedOrigins) gets its answer and can read the routing headers and
// error bodies; a page from any other origin is blocked by the browser. In a real headless
// Chromium (Debian's `chromium`, driven by playwright-core), not a simulation of CORS.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

const CHROMIUM = process.env['SWITCHYARD_CHROMIUM'] ?? '/usr/bin/chromium';

/** A page server: any path answers a blank HTML page, so each origin has somewhere to run fetch from. */
async function pageServer(): Promise<{ origin: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>switchyard cors</title>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

let sim: SimServer;
let gateway: NodeGateway;
let allowed: Awaited<ReturnType<typeof pageServer>>;
let other: Awaited<ReturnType<typeof pageServer>>;
let browser: Browser;
let key: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`this test needs Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it), or SWITCHYARD_CHROMIUM`);
  [sim, allowed, other] = await Promise.all([startSim({ models: ['llama-3.1-8b'], profile: 'fast' }), pageServer(), pageServer()]);
  const fleet = compileFleet(
    parseFleet(
      [
        regionDoc('us-east', 38.9, -77.4, 'NA', `endpoints: [{ model: llama-3.1-8b, url: "${sim.url}" }]`),
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: llama-3.1-8b }\nspec: { predictor: { model: { modelFormat: { name: vLLM } } } }\n',
        `apiVersion: switchyard.dev/v1alpha1\nkind: RoutingPolicy\nmetadata: { name: p }\nspec:\n  cors: { allowedOrigins: ["${allowed.origin}"], maxAgeSeconds: 60 }\n`,
      ].join('---\n'),
      'cors.yaml',
    ),
  );
  const made = await new ApiKeys(new MemoryStore(), { memoTtlMs: 0 }).create({ tenant: 'browser' });
  key = made.key;
  gateway = await startNodeGateway({ fleet, keys: [made.record], env: {}, probeIntervalMs: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await sim?.close();
  for (const p of [allowed, other]) await new Promise((r) => p?.server.close(r));
});

interface PageResult {
  ok: boolean;
  status?: number;
  region?: string | null;
  body?: unknown;
  error?: string;
}

/** Runs fetch from a page of `origin` against the gateway, as a web app would. */
async function fetchFrom(origin: string, path: string, apiKey: string): Promise<PageResult> {
  const page = await browser.newPage();
  try {
    await page.goto(`${origin}/app`);
    return await page.evaluate(
      async ({ url, apiKey }) => {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'hi from a browser' }], max_tokens: 4 }),
          });
          return { ok: true, status: res.status, region: res.headers.get('x-switchyard-region'), body: await res.json() };
        } catch (error) {
          return { ok: false, error: String(error) };
        }
      },
      { url: `${gateway.url}${path}`, apiKey },
    );
  } finally {
    await page.close();
  }
}

describe('CORS, from a real browser', () => {
  it('lets a page of an allowed origin call the gateway and read the routing headers', async () => {
    const result = await fetchFrom(allowed.origin, '/v1/chat/completions', key);
    expect(result).toMatchObject({ ok: true, status: 200, region: 'us-east' });
    expect((result.body as { object: string }).object).toBe('chat.completion');
  });

  it("lets that page read the gateway's error answers too (a bad key)", async () => {
    const result = await fetchFrom(allowed.origin, '/v1/chat/completions', 'sy-not-a-key');
    expect(result).toMatchObject({ ok: true, status: 401, body: { error: { type: 'authentication_error' } } });
  });

  it('blocks a page of any other origin', async () => {
    const result = await fetchFrom(other.origin, '/v1/chat/completions', key);
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/TypeError|Failed to fetch/);
  });

  it('answers the preflight without a key, with CORS headers only for an allowed origin', async () => {
    const preflight = (origin: string) =>
      fetch(`${gateway.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
      });
    const yes = await preflight(allowed.origin);
    expect(yes.status).toBe(204);
    expect(yes.headers.get('access-control-allow-origin')).toBe(allowed.origin);
    expect(yes.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(yes.headers.get('access-control-max-age')).toBe('60');
    const no = await preflight(other.origin);
    expect(no.status).toBe(204);
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
  });
});
