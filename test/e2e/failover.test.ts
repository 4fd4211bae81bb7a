// Failover with real processes: a region's simulator is killed under traffic and later
// restarted. No request may fail; the dead region must drop out of the route (circuit breaker,
// prober) and come back once it is healthy again.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { unusedPort } from '../support/ports.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { startProcess, type Started } from '../support/processes.ts';

const started: Started[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
});

const sim = async (port: number) => {
  const p = await startProcess(['cli/main.ts', 'sim', '--port', String(port), '--profile', 'fast', '--model', 'llama-3.1-8b'], /ready on/);
  started.push(p);
  return p;
};

const region = (id: string, price: number, port: number, lat: number, lon: number, continent: string) => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: ${id} }
spec:
  location: { latitude: ${lat}, longitude: ${lon}, continent: ${continent} }
  residency: ${id}
  pricing: { inputPerMillionTokensUsd: ${price}, outputPerMillionTokensUsd: ${price} }
  endpoints:
    - { model: llama-3.1-8b, url: "http://127.0.0.1:${port}" }`;

describe('failover across regions with simulator processes', () => {
  it('loses no request when a region dies, stops trying it, and returns to it once it is back', async () => {
    const [usPort, euPort] = [await unusedPort(), await unusedPort()];
    let us = await sim(usPort);
    await sim(euPort);

    const dir = mkdtempSync(join(tmpdir(), 'switchyard-failover-'));
    const fleetFile = join(dir, 'fleet.yaml');
    writeFileSync(
      fleetFile,
      [
        region('us-east', 0.05, usPort, 38.9, -77.4, 'NA'),
        region('eu-west', 0.5, euPort, 53.3, -6.3, 'EU'),
        `apiVersion: switchyard.dev/v1alpha1
kind: RoutingPolicy
metadata: { name: failover }
spec:
  weights: { cost: 1 }
  timeouts: { connectMs: 300, firstByteMs: 2000, totalMs: 10000, streamIdleMs: 2000 }`,
        `apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: llama, annotations: { switchyard.dev/model: llama-3.1-8b } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }`,
      ].join('\n---\n'),
    );
    const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
    const { key, record } = await keys.create({ tenant: 'failover' });
    const gateway = await startProcess(
      ['cli/main.ts', 'serve', '--fleet', fleetFile, '--port', '0', '--no-log', '--probe-interval', '300', '--keys-file', join(dir, 'none.json')],
      /switchyard gateway on (http:\/\/\S+)/,
      { env: { ...process.env, SWITCHYARD_KEYS: JSON.stringify([record]) } },
    );
    started.push(gateway);
    const url = `${gateway.match[1]}/v1/chat/completions`;
    const ask = async () => {
      const r = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'ping' }], max_tokens: 2 }),
      });
      await r.arrayBuffer();
      return { status: r.status, region: r.headers.get('x-switchyard-region'), route: r.headers.get('x-switchyard-route') ?? '' };
    };

    const before = await Promise.all(Array.from({ length: 5 }, ask));
    expect(before.map((r) => [r.status, r.region])).toEqual(before.map(() => [200, 'us-east']));

    await us.stop('SIGKILL');
    const during = [];
    for (let i = 0; i < 25; i++) during.push(await ask());
    expect(during.filter((r) => r.status !== 200)).toEqual([]);
    expect(during.every((r) => r.region === 'eu-west')).toBe(true);
    // The first requests fail over (attempts=2); once the breaker opens or the prober sees the
    // region down, requests go straight to eu-west.
    expect(during[0]?.route).toMatch(/attempts=2/);
    expect(during.slice(-10).every((r) => !r.route.includes('attempts='))).toBe(true);

    us = await sim(usPort);
    const deadline = Date.now() + 20_000;
    let back = false;
    while (!back && Date.now() < deadline) {
      const r = await ask();
      expect(r.status).toBe(200);
      back = r.region === 'us-east';
      if (!back) await new Promise((res) => setTimeout(res, 200));
    }
    expect(back).toBe(true);
  });
});
