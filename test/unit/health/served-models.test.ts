// The global model registry follows what clusters really serve: the prober reads each
// server's model list, and a region that stops serving a model leaves routing and
// /v1/models' available_regions until it lists the model again.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';
import { undiciTransport } from '../../../node/undici-transport.ts';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { runHealthProbe } from '../../../src/health/run-probe.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { regionDoc } from '../../support/region-doc.ts';

const region = (name: string, lat: number, lon: number, continent: string, url: string) =>
  regionDoc(name, lat, lon, continent, `endpoints: [{ model: probe-model, url: "${url}" }]`);
const MODEL = `
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: probe-model }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
`;
const DUBLIN = { latitude: '53.35', longitude: '-6.26', continent: 'EU', country: 'IE' };

interface ModelList {
  data: { id: string; regions: string[]; available_regions: string[] }[];
}

let us: SimServer;
let eu: SimServer;
let transport: ReturnType<typeof undiciTransport>;
let key: string;
let app: ReturnType<typeof createApp>;
let probe: () => Promise<unknown>;
let fleetFile: string;

beforeAll(async () => {
  [us, eu] = await Promise.all([startSim({ models: ['probe-model'], profile: 'fast' }), startSim({ models: ['probe-model'], profile: 'fast' })]);
  const yaml = [region('us-east', 38.9, -77.4, 'NA', us.url), region('eu-west', 53.3, -6.3, 'EU', eu.url), MODEL].join('---\n');
  fleetFile = join(mkdtempSync(join(tmpdir(), 'switchyard-served-')), 'fleet.yaml');
  writeFileSync(fleetFile, yaml);
  const fleet = compileFleet(parseFleet(yaml, 'served.yaml'));
  const store = new MemoryStore();
  const keys = new ApiKeys(store, { memoTtlMs: 0 });
  key = (await keys.create({ tenant: 't' })).key;
  transport = undiciTransport({ connectMs: 1_000 });
  app = createApp({ fleet, keys, transport, secret: () => undefined, store, healthMemoMs: 0 });
  probe = () => runHealthProbe({ fleet, transport, store, secret: () => undefined }, 2_000);
});
afterAll(async () => {
  await Promise.all([us.close(), eu.close(), transport.close()]);
});

/** /v1/models after the gateway has read the latest snapshot (its reader refreshes in the background). */
async function models(): Promise<ModelList['data']> {
  await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } });
  await new Promise((r) => setTimeout(r, 20));
  const res = await app.request('/v1/models', { headers: { authorization: `Bearer ${key}` } });
  return ((await res.json()) as ModelList).data.filter((m) => m.id === 'probe-model');
}

const chatFromDublin = () =>
  app.request(
    Object.assign(
      new Request('http://gateway.test/v1/chat/completions', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'probe-model', messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 }),
      }),
      { cf: DUBLIN },
    ),
  );

describe('the registry follows what the servers list', () => {
  it('lists both regions while both serve the model, and routes a Dublin caller to eu-west', async () => {
    await probe();
    expect(await models()).toEqual([expect.objectContaining({ regions: ['us-east', 'eu-west'], available_regions: ['us-east', 'eu-west'] })]);
    expect((await chatFromDublin()).headers.get('x-switchyard-region')).toBe('eu-west');
  });

  it('drops eu-west from routing and from available_regions once it stops serving the model, and takes it back', async () => {
    eu.setFaults({ unserved: ['probe-model'] });
    await probe();
    expect(await models()).toEqual([expect.objectContaining({ regions: ['us-east', 'eu-west'], available_regions: ['us-east'] })]);
    const res = await chatFromDublin();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-region')).toBe('us-east');
    expect(eu.requests().filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1); // only the request before the drop

    eu.setFaults({ unserved: [] });
    await probe();
    expect(await models()).toEqual([expect.objectContaining({ available_regions: ['us-east', 'eu-west'] })]);
    expect((await chatFromDublin()).headers.get('x-switchyard-region')).toBe('eu-west');
  });
});

describe('switchyard fleet check --live', () => {
  const check = async () => (await promisify(execFile)('node_modules/.bin/node', ['cli/main.ts', 'fleet', 'check', '--fleet', fleetFile, '--live'], { encoding: 'utf8' })).stdout;

  it('shows declared against served, per endpoint', async () => {
    expect(await check()).toMatch(/probe-model\s+eu-west\s+eu-west\/probe-model\/0\s+yes\s+healthy/);
    eu.setFaults({ unserved: ['probe-model'] });
    try {
      const out = await check();
      expect(out).toMatch(/probe-model\s+eu-west\s+eu-west\/probe-model\/0\s+NO\s+healthy/);
      expect(out).toMatch(/probe-model\s+us-east\s+us-east\/probe-model\/0\s+yes\s+healthy/);
      expect(out).toContain('1 endpoint(s) do not serve the model the fleet declares: routing skips them');
    } finally {
      eu.setFaults({ unserved: [] });
    }
  }, 30_000);
});
