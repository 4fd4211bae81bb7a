// The Worker as `wrangler deploy` builds it — minified, without keep_names, zod/mini, the SageMaker
// signer and event-stream codec loaded on first use — runs in workerd (wrangler's Miniflare) and answers: the workers project
// tests the same code bundled by Vite, unminified, so this is what checks the deployed shape.
// One vLLM simulator and one simulator speaking the SageMaker runtime API behind a small fleet.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerBundle, wranglerBuildSettings } from '../../../bench/lib/worker-bundle.ts';
import { ROOT } from '../../../bench/lib/children.ts';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';
import { TEST_AWS_CREDENTIALS } from '../../../infra/local/sim/sagemaker/front.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';

type MiniflareModule = typeof import('miniflare');

const UPSTREAM_KEY = 'deploy-bundle-upstream-key';

const fleetYaml = (vllm: string, sagemaker: string) => `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  credentials: { secretName: UPSTREAM_KEY }
  endpoints:
    - { model: llama-3.1-8b, url: "${vllm}", pathStyle: v1, name: vllm }
    - { model: sm-chat, backend: sagemaker, endpointName: sm-chat, awsRegion: us-east-1, outputStyle: openai-sse, endpointUrl: "${sagemaker}", credentials: { accessKeyIdSecret: AWS_KEY_ID, secretAccessKeySecret: AWS_SECRET }, name: sm-chat }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama-3-1-8b
  annotations: { switchyard.dev/model: llama-3.1-8b, switchyard.dev/regions: us-east }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: sm-chat
  annotations: { switchyard.dev/model: sm-chat, switchyard.dev/regions: us-east }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }`;

describe('the Worker as deployed (minified, in workerd)', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-deploy-bundle-'));
  const sims: SimServer[] = [];
  let mf: InstanceType<MiniflareModule['Miniflare']>;
  let key: string;

  beforeAll(async () => {
    const vllm = await startSim({ models: ['llama-3.1-8b'], profile: 'fast', apiKey: UPSTREAM_KEY, pathStyle: 'v1' });
    const sagemaker = await startSim({ models: ['sm-chat'], profile: 'fast', apiKey: UPSTREAM_KEY, pathStyle: 'v1', sagemaker: { region: 'us-east-1', endpoints: ['sm-chat'] } });
    sims.push(vllm, sagemaker);
    const fleet = compileFleet(parseFleet(fleetYaml(vllm.url, sagemaker.url), 'deploy-bundle.yaml'));
    const bundle = await buildWorkerBundle(outdir, { fleetJson: JSON.stringify(fleet) });
    expect(bundle.files.map((f) => f.path)).toEqual(['gateway.js']);

    const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
    key = (await keys.create({ tenant: 'acme', label: 'deploy bundle' })).key;
    // wrangler's own Miniflare (and so its workerd), with the compatibility settings of wrangler.toml.
    const { Miniflare } = (await import(createRequire(resolve(ROOT, 'node_modules', 'wrangler', 'package.json')).resolve('miniflare'))) as MiniflareModule;
    const settings = wranglerBuildSettings();
    const text = (value: string) => ({ type: 'text' as const, value });
    mf = new Miniflare({
      workers: [
        {
          config: {
            name: 'switchyard',
            compatibilityDate: settings.compatibilityDate,
            compatibilityFlags: [...settings.compatibilityFlags],
            manifest: { mainModule: 'gateway.js', modules: { 'gateway.js': { type: 'esm', contents: readFileSync(join(outdir, 'gateway.js'), 'utf8') } } },
            env: {
              UPSTREAM_KEY: text(UPSTREAM_KEY),
              AWS_KEY_ID: text(TEST_AWS_CREDENTIALS.accessKeyId),
              AWS_SECRET: text(TEST_AWS_CREDENTIALS.secretAccessKey),
              SWITCHYARD_KEYS: text(JSON.stringify(await keys.list())),
              SWITCHYARD_LOG_REQUESTS: text('false'),
              SWITCHYARD_METRICS_FLUSH_MS: text('0'),
            },
          },
        },
      ],
    });
    await mf.ready;
  }, 120_000);

  afterAll(async () => {
    await mf?.dispose();
    await Promise.all(sims.map((s) => s.close()));
    rmSync(outdir, { recursive: true, force: true });
  });

  const post = (path: string, body: unknown) =>
    mf.dispatchFetch(`https://gateway.test${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
      cf: { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' },
    });

  it('answers a bad request with zod’s English message and the field as param (zod/mini and its locale bundled)', async () => {
    const response = await post('/v1/chat/completions', { model: 'llama-3.1-8b', messages: [{ content: 'hi' }] });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { message: 'messages.0.role: Invalid input: expected string, received undefined', param: 'messages.0.role', code: 'invalid_request' },
    });
  });

  it('forwards a chat request to vLLM', async () => {
    const response = await post('/v1/chat/completions', { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 4 });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-model')).toBe('llama-3.1-8b');
    expect(((await response.json()) as { object: string }).object).toBe('chat.completion');
  });

  it('calls a SageMaker endpoint through the lazily loaded runtime client, whole and streamed', async () => {
    const whole = await post('/v1/chat/completions', { model: 'sm-chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 4 });
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).not.toBe('');

    const streamed = await post('/v1/chat/completions', { model: 'sm-chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 4, stream: true });
    expect(streamed.status).toBe(200);
    const text = await streamed.text();
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(text).toContain('"chat.completion.chunk"');
  });
});
