// No request steers the gateway to a host outside the fleet: whatever a client puts in the model
// id (URLs, `@`, `..`, encoded separators, CR/LF, SageMaker endpoint names and ARNs), in Host /
// X-Forwarded-Host / Forwarded / X-Original-URL, or in SageMaker's routing headers, every upstream
// request goes to a URL the fleet file names, and no client header reaches the upstream. And no
// answer or log line carries an upstream secret or the internal URL of the endpoint that failed,
// even when the upstream's error text quotes them. (Redirects: redirects.test.ts; upstream error
// text in general: upstream-leaks.test.ts; kv_transfer_params: kv-transfer.test.ts; the Upstash
// token: store-secrets.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app.ts';
import { ApiKeys } from '../../../src/auth/api-keys.ts';
import type { Transport, UpstreamRequest } from '../../../src/backends/transport.ts';
import { compileFleet } from '../../../src/fleet/compile.ts';
import { parseFleet } from '../../../src/fleet/load.ts';
import type { RequestLog } from '../../../src/observe/request-log.ts';
import { MemoryStore } from '../../../src/store/memory-store.ts';
import { upstreamResponse } from '../../support/upstream.ts';

const VLLM_ROOT = 'http://llama-8b-predictor.inference.svc.cluster.local:8080';
const SAGEMAKER_ORIGIN = 'https://runtime.sagemaker.us-east-1.amazonaws.com';
const FLEET = compileFleet(
  parseFleet(
    `apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: us-east }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA }
  residency: us
  credentials: { secretName: UPSTREAM_KEY_US_EAST }
  endpoints:
    - { model: llama-3.1-8b, url: "${VLLM_ROOT}" }
    - model: sm-llama
      backend: sagemaker
      endpointName: llama-lmi-prod
      awsRegion: us-east-1
      outputStyle: openai-sse
      credentials: { accessKeyIdSecret: AWS_ACCESS_KEY_ID, secretAccessKeySecret: AWS_SECRET_ACCESS_KEY }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: llama, annotations: { switchyard.dev/model: llama-3.1-8b } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata: { name: sm-llama, annotations: { switchyard.dev/model: sm-llama } }
spec: { predictor: { model: { modelFormat: { name: vLLM } } } }
`,
    'ssrf.yaml',
  ),
);
const SECRETS: Readonly<Record<string, string>> = {
  UPSTREAM_KEY_US_EAST: 'region-secret-Qw7Zt1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

/** Every URL the fleet lets the gateway call: its endpoints' OpenAI routes and server-root routes, SageMaker's invocations of the named endpoint. */
const ALLOWED = new Set([
  ...['chat/completions', 'completions', 'responses', 'embeddings', 'rerank', 'score', 'audio/transcriptions'].map((p) => `${VLLM_ROOT}/v1/${p}`),
  `${VLLM_ROOT}/tokenize`,
  `${VLLM_ROOT}/detokenize`,
  `${SAGEMAKER_ORIGIN}/endpoints/llama-lmi-prod/invocations`,
  `${SAGEMAKER_ORIGIN}/endpoints/llama-lmi-prod/invocations-response-stream`,
]);

const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
let key = '';
beforeAll(async () => {
  key = (await keys.create({ tenant: 'acme' })).key;
});

const CHAT_OK = '{"id":"c","object":"chat.completion","created":1,"model":"llama-3.1-8b","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}';

function gateway(answer: (request: UpstreamRequest) => ReturnType<typeof upstreamResponse> = () => upstreamResponse(200, CHAT_OK, { 'content-type': 'application/json' })) {
  const sent: UpstreamRequest[] = [];
  const logs: RequestLog[] = [];
  const transport: Transport = async (request) => {
    sent.push(request);
    return answer(request);
  };
  const app = createApp({ fleet: FLEET, keys, transport, secret: (n) => SECRETS[n], log: (l) => logs.push(l), metrics: false });
  const send = async (path: string, body: Record<string, unknown> | string, headers: Record<string, string> = {}) => {
    const response = await app.request(`https://gateway.test${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    await new Promise((r) => setTimeout(r, 1)); // the log line is deferred
    return { status: response.status, text, headers: [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n') };
  };
  return { app, sent, logs, send };
}

const HOSTILE_MODEL_IDS = [
  'http://attacker.example/v1',
  'https://attacker.example',
  '//attacker.example/v1',
  'http://169.254.169.254/latest/meta-data/iam',
  'llama-3.1-8b@attacker.example',
  'attacker.example@llama-3.1-8b',
  'user:pass@attacker.example:8000',
  '../../admin',
  'llama-3.1-8b/../../../attacker',
  '..%2f..%2fattacker.example',
  '%2e%2e/%2e%2e/attacker',
  'llama-3.1-8b#@attacker.example',
  'llama-3.1-8b?host=attacker.example',
  'llama-3.1-8b\r\nHost: attacker.example',
  'llama-3.1-8b\\@attacker.example',
  'file:///etc/passwd',
  'llama-lmi-prod',
  'attacker-endpoint',
  'arn:aws:sagemaker:us-east-1:123456789012:endpoint/attacker-endpoint',
  'arn:aws:sagemaker:us-east-1:123456789012:inference-component/other-ic',
  'https://runtime.sagemaker.us-east-1.amazonaws.com/endpoints/other/invocations',
];

const JSON_ROUTES: [string, (model: string) => Record<string, unknown>][] = [
  ['/v1/chat/completions', (model) => ({ model, messages: [{ role: 'user', content: 'Hi' }] })],
  ['/v1/completions', (model) => ({ model, prompt: 'Hi' })],
  ['/v1/responses', (model) => ({ model, input: 'Hi' })],
  ['/v1/embeddings', (model) => ({ model, input: 'Hi' })],
  ['/tokenize', (model) => ({ model, prompt: 'Hi' })],
];

describe('a model id that names a place', () => {
  it.each(JSON_ROUTES)('on %s is refused as an unknown model, and nothing is sent anywhere', async (path, body) => {
    const { send, sent } = gateway();
    for (const model of HOSTILE_MODEL_IDS) {
      const { status, text } = await send(path, body(model));
      expect([400, 404], `${path} ${JSON.stringify(model)}`).toContain(status);
      expect((JSON.parse(text) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
    expect(sent).toHaveLength(0);
  });

  it('in a body spelled to confuse the rewrite (escaped keys, a nested model, duplicates) still only reaches fleet URLs', async () => {
    const { send, sent } = gateway();
    const bodies = [
      '{"mod\\u0065l":"llama-3.1-8b","messages":[{"role":"user","content":"Hi","model":"http://attacker.example"}]}',
      '{"model":"http://attacker.example","model":"llama-3.1-8b","messages":[{"role":"user","content":"Hi"}]}',
      '{"model":"llama-3.1-8b","model":"http://attacker.example","messages":[{"role":"user","content":"Hi"}]}',
      '{"model":"auto","messages":[{"role":"user","content":"http://attacker.example/v1 @attacker.example ../../"}]}',
    ];
    for (const body of bodies) await send('/v1/chat/completions', body);
    for (const request of sent) expect(ALLOWED.has(request.url), request.url).toBe(true);
  });
});

describe('headers that name a host or a path', () => {
  const STEERING: Record<string, string> = {
    host: 'attacker.example',
    'x-forwarded-host': 'attacker.example',
    'x-forwarded-proto': 'http',
    'x-forwarded-port': '6379',
    'x-forwarded-prefix': '/../../attacker',
    forwarded: 'host=attacker.example;proto=http;for=10.0.0.1',
    'x-original-url': 'http://attacker.example/v1/chat/completions',
    'x-rewrite-url': '/../admin',
    'x-host': 'attacker.example',
    'x-http-method-override': 'GET',
    'x-amzn-sagemaker-target-model': 'attacker.tar.gz',
    'x-amzn-sagemaker-inference-component': 'attacker-ic',
    'x-amzn-sagemaker-target-variant': 'Attacker',
    'x-amzn-sagemaker-custom-attributes': 'endpoint=attacker',
    'x-switchyard-region': 'attacker',
    'x-switchyard-endpoint': 'http://attacker.example',
  };

  it.each([
    ['vLLM', 'llama-3.1-8b'],
    ['SageMaker', 'sm-llama'],
  ])('change nothing about where a %s request goes, and none of them is forwarded', async (_kind, model) => {
    const { send, sent } = gateway();
    await send('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 2 }, STEERING);
    expect(sent.length).toBeGreaterThan(0);
    for (const request of sent) {
      expect(ALLOWED.has(request.url), request.url).toBe(true);
      const forwarded = Object.entries(request.headers ?? {}).map(([k, v]) => `${k.toLowerCase()}: ${v}`).join('\n');
      for (const name of Object.keys(STEERING)) if (name !== 'host') expect(forwarded).not.toContain(`${name}:`);
      expect(forwarded).not.toMatch(/attacker/i);
    }
  });

  it('a path with dot segments or an absolute URL reaches no route but its own', async () => {
    const { send, sent } = gateway();
    for (const path of ['/v1/chat/completions/../../admin/keys', '/v1/../tokenize/../v1/chat/completions', '/v1/chat/completions%2f..%2f..%2fadmin', '//attacker.example/v1/chat/completions']) {
      const { status } = await send(path, { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }] });
      expect(status).not.toBe(500);
    }
    for (const request of sent) expect(ALLOWED.has(request.url), request.url).toBe(true);
  });
});

describe('upstream error bodies that quote their own URL and credentials', () => {
  const echo = (status: number) => (request: UpstreamRequest) =>
    upstreamResponse(
      status,
      JSON.stringify({
        error: {
          message: `Request to ${request.url} with headers ${JSON.stringify(request.headers)} failed at ${VLLM_ROOT}/v1 (pod 10.42.0.17:8080)`,
          type: status < 500 ? 'BadRequestError' : 'InternalServerError',
          param: null,
          code: status,
        },
      }),
      { 'content-type': 'application/json' },
    );

  it.each([400, 401, 403, 404, 422, 500, 502, 503])('a %i: neither the answer, its headers nor the log line carry the credential; only the log carries the URL', async (status) => {
    const { send, logs, sent } = gateway(echo(status));
    const answer = await send('/v1/chat/completions', { model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }] });
    expect(sent.length).toBeGreaterThan(0);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    for (const text of [answer.text, answer.headers]) {
      expect(text).not.toContain(SECRETS['UPSTREAM_KEY_US_EAST']);
      expect(text).not.toContain('llama-8b-predictor');
      expect(text).not.toContain('svc.cluster.local');
      expect(text).not.toContain('10.42.0.17');
      expect(text).not.toContain(VLLM_ROOT);
    }
    const line = JSON.stringify(logs);
    expect(logs).toHaveLength(1);
    expect(line).not.toContain(SECRETS['UPSTREAM_KEY_US_EAST']);
    // The operator sees which endpoint failed and how, credentials removed.
    expect(line).toContain('svc.cluster.local');
  });

  it('a SageMaker error naming its endpoint and the AWS keys: neither reaches the client, the keys not even the log', async () => {
    const { send, logs } = gateway(() =>
      upstreamResponse(
        400,
        JSON.stringify({ message: `Received client error (400) from primary with message "bad input". See https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints/llama-lmi-prod in account 123456789012 for more information. Credential=${SECRETS['AWS_ACCESS_KEY_ID']} secret ${SECRETS['AWS_SECRET_ACCESS_KEY']}` }),
        { 'content-type': 'application/json', 'x-amzn-errortype': 'ModelError' },
      ),
    );
    const answer = await send('/v1/chat/completions', { model: 'sm-llama', messages: [{ role: 'user', content: 'Hi' }] });
    expect(answer.status).toBeGreaterThanOrEqual(400);
    for (const text of [answer.text, answer.headers]) {
      expect(text).not.toContain(SECRETS['AWS_ACCESS_KEY_ID']);
      expect(text).not.toContain(SECRETS['AWS_SECRET_ACCESS_KEY']);
      expect(text).not.toContain('console.aws.amazon.com');
      expect(text).not.toContain('123456789012');
    }
    const line = JSON.stringify(logs);
    expect(line).not.toContain(SECRETS['AWS_ACCESS_KEY_ID']);
    expect(line).not.toContain(SECRETS['AWS_SECRET_ACCESS_KEY']);
  });
});
