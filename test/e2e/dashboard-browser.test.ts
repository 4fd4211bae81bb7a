// The live dashboard in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core): it loads, asks for an admin key, shows the numbers of the traffic this
// test sent, redraws by itself as more arrives, and a screenshot is kept as a test artifact.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSim, type SimServer } from '../../infra/local/sim/server.ts';
import { startNodeGateway, type NodeGateway } from '../../node/server.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { compileFleet } from '../../src/fleet/compile.ts';
import { parseFleet } from '../../src/fleet/load.ts';
import type { RequestLog } from '../../src/observe/request-log.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { regionDoc } from '../support/region-doc.ts';

const CHROMIUM = process.env['SWITCHYARD_CHROMIUM'] ?? '/usr/bin/chromium';
/** Where screenshots are kept (gitignored; CI can upload the folder). */
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let sims: SimServer[];
let gateway: NodeGateway;
let browser: Browser;
let clientKey: string;
let adminKey: string;
const logs: RequestLog[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`this test needs Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it), or SWITCHYARD_CHROMIUM`);
  sims = await Promise.all([
    startSim({ models: ['llama-3.1-8b'], profile: 'fast', gpuMetrics: 2 }),
    startSim({ models: ['llama-3.1-8b'], profile: 'fast', gpuMetrics: 2 }),
  ]);
  const fleet = compileFleet(
    parseFleet(
      [
        regionDoc('us-east', 38.9, -77.4, 'NA', 'pricing: { inputPerMillionTokensUsd: 0.5, outputPerMillionTokensUsd: 1.5 }', `endpoints: [{ model: llama-3.1-8b, url: "${sims[0]?.url}" }]`),
        regionDoc('eu-west', 53.3, -6.3, 'EU', 'pricing: { inputPerMillionTokensUsd: 0.6, outputPerMillionTokensUsd: 1.8 }', `endpoints: [{ model: llama-3.1-8b, url: "${sims[1]?.url}" }]`),
        'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: llama-3.1-8b }\nspec: { predictor: { model: { modelFormat: { name: vLLM } } } }\n',
      ].join('---\n'),
      'dashboard.yaml',
    ),
  );
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const [client, admin] = await Promise.all([keys.create({ tenant: 'acme' }), keys.create({ tenant: 'ops', role: 'admin' })]);
  clientKey = client.key;
  adminKey = admin.key;
  gateway = await startNodeGateway({ fleet, keys: [client.record, admin.record], env: {}, probeIntervalMs: 500, log: (l) => logs.push(l), metrics: { flushMs: 0 } });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await Promise.all((sims ?? []).map((s) => s.close()));
});

async function sendTraffic(n: number): Promise<void> {
  const before = served().length;
  const openai = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: clientKey, maxRetries: 0 });
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) await openai.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: `question ${i}` }], max_tokens: 8 });
    else for await (const _ of await openai.chat.completions.create({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: `stream ${i}` }], max_tokens: 8, stream: true }));
  }
  await openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
  // Each request's log line (and its metrics) is written just after its answer leaves: wait for all of them.
  await vi.waitFor(() => expect(served()).toHaveLength(before + n + 1));
}

/** Waits until the page's tile shows `expected` (it refreshes itself every few seconds). */
async function tileShows(page: Page, testId: string, expected: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(([id, want]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === want, [testId, expected] as const, { timeout });
}

const served = () => logs.filter((l) => l.path.startsWith('/v1/chat'));

describe('the dashboard in a real Chromium', () => {
  it('asks for an admin key, refuses a client key, and shows numbers that match the traffic', async () => {
    await sendTraffic(6);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    try {
      await page.goto(`${gateway.url}/dashboard`);
      await page.waitForSelector('#login:not([hidden])');
      // A client key is refused by /admin/stats: the page says so and asks again.
      await page.fill('#key', clientKey);
      await page.click('#login button[type=submit]');
      await page.waitForSelector('#problem:not([hidden])');
      expect(await page.textContent('#problem')).toMatch(/admin API key/);

      await page.fill('#key', adminKey);
      await page.click('#login button[type=submit]');
      const lines = served();
      await tileShows(page, 'requests', String(lines.length));
      expect(await page.textContent('[data-testid=errors]')).toBe(String(lines.filter((l) => l.status >= 400).length));
      const input = lines.reduce((n, l) => n + (l.usage?.input ?? 0), 0);
      const output = lines.reduce((n, l) => n + (l.usage?.output ?? 0), 0);
      expect(await page.textContent('[data-testid=input-tokens]')).toBe(input.toLocaleString('en-US'));
      expect(await page.textContent('[data-testid=output-tokens]')).toBe(output.toLocaleString('en-US'));
      expect(await page.textContent('[data-testid=latency]')).toMatch(/^\d+ ms \/ \d+ ms \/ \d+ ms$|s/);
      expect(await page.textContent('[data-testid=ttft]')).not.toBe('–');
      // Errors by type: the unknown model.
      expect(await page.textContent('[data-testid=errors-by-type]')).toContain('model_not_found');
      // Per region rows with cost, and the fleet from the prober (both endpoints up, GPU column filled).
      const byRegion = await page.textContent('[data-testid=by-region]');
      for (const region of new Set(lines.flatMap((l) => (l.region ? [l.region] : [])))) expect(byRegion).toContain(region);
      await page.waitForFunction(() => (document.querySelector('[data-testid=endpoints] tbody')?.textContent ?? '').includes('up'), null, { timeout: 10_000 });
      const endpoints = await page.textContent('[data-testid=endpoints] tbody');
      expect(endpoints).toContain('us-east/llama-3.1-8b/0');
      expect(endpoints).toMatch(/\d+\.\d+ %/);
      expect(await page.locator('#chart-traffic path, #chart-traffic circle').count()).toBeGreaterThan(0);

      // It redraws by itself: more traffic shows up without a reload.
      await sendTraffic(2);
      await tileShows(page, 'requests', String(served().length));
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(existsSync(join(ARTIFACTS, 'dashboard.png'))).toBe(true);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('takes the key from the URL fragment and removes it from the address bar', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${gateway.url}/dashboard#key=${encodeURIComponent(adminKey)}`);
      await page.waitForSelector('#main:not([hidden])');
      expect(page.url()).not.toContain(adminKey);
      expect(await page.textContent('[data-testid=status]')).toMatch(/updated/);
    } finally {
      await page.close();
    }
  });

  it('serves the page with a strict content security policy and no data in it', async () => {
    const res = await fetch(`${gateway.url}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    const html = await res.text();
    expect(html).not.toContain('acme');
    expect((await fetch(`${gateway.url}/admin/stats`)).status).toBe(401);
  });
});
