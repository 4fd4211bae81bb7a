// SageMaker endpoints in the Worker: the runtime client (smithy's SigV4 signer over WebCrypto and
// its event-stream codec; test/unit/sagemaker/sdk-parity.test.ts proves it builds what the AWS
// SDK builds) runs inside workerd and talks to simulators that speak the SageMaker runtime API
// (SigV4 checked with the test key pair, event-stream framing, LMI output styles).
import { describe, expect, inject, it } from 'vitest';
import { createWorker, type Env } from '../../workers/gateway.ts';
import { dispatchRead, testEnv } from './dispatch.ts';

const fleet = inject('fleet');
const keys = inject('keys');
const simUrls = inject('simUrls');

const worker = createWorker(fleet);
const baseEnv: Env = testEnv();
/** A fresh env is a fresh isolate runtime: its own breakers, saturation marks and SageMaker clients. */
const freshEnv = (extra: Partial<Env> = {}): Env => ({ ...baseEnv, ...extra });

const NORTH_AMERICA = { latitude: '40.71', longitude: '-74.01', continent: 'NA', country: 'US' };

async function call(path: string, body: unknown, env: Env = baseEnv): Promise<Response> {
  const request = new Request(`https://gateway.test${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.any}` },
    body: JSON.stringify(body),
    cf: NORTH_AMERICA,
  });
  return dispatchRead(worker, request, env);
}

// ignore_eos (a vLLM extra LMI passes on): the simulated model writes exactly max_tokens.
const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content: 'Say something about switchyards, naïvely.' }],
  max_tokens: 8,
  ignore_eos: true,
  ...extra,
});
const completion = (model: string, extra: Record<string, unknown> = {}) => ({ model, prompt: 'Once upon a time', max_tokens: 6, ignore_eos: true, ...extra });

interface Chunk {
  model: string;
  object: string;
  choices: { delta?: { role?: string; content?: string }; text?: string; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function readSse(response: Response) {
  const text = await response.text();
  const events = text.split('\n\n').filter((e) => e.trim().length > 0);
  const done = events.at(-1)?.trim() === 'data: [DONE]';
  const chunks = events.filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as Chunk);
  const content = chunks.map((c) => c.choices[0]?.delta?.content ?? c.choices[0]?.text ?? '').join('');
  return { events, done, chunks, content };
}

const errorOf = async (response: Response) => ((await response.json()) as { error: { code: string | null; type: string; message: string } }).error;

type Recorded = { path: string; headers: Record<string, string>; body: unknown };
const recorded = async (sim: string): Promise<Recorded[]> => (await (await fetch(`${simUrls[sim]}/sim/requests`)).json()) as Recorded[];
/** The last SageMaker runtime call the simulator received (it also logs its container's own requests). */
const lastInvocation = async (sim: string) => (await recorded(sim)).filter((r) => r.path.startsWith('/endpoints/')).at(-1);

async function withFaults<T>(sim: string, faults: Record<string, unknown>, run: () => Promise<T>): Promise<T> {
  const set = await fetch(`${simUrls[sim]}/sim/sagemaker/faults`, { method: 'POST', body: JSON.stringify(faults) });
  expect(set.status).toBe(200);
  try {
    return await run();
  } finally {
    await fetch(`${simUrls[sim]}/sim/sagemaker/faults`, { method: 'DELETE' });
  }
}

describe('SageMaker endpoints in the Worker (in workerd)', () => {
  it('answers a chat completion through InvokeEndpoint, signed with SigV4', async () => {
    const response = await call('/v1/chat/completions', chat('sm-chat'));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-switchyard-region')).toBe('us-east');
    expect(response.headers.get('x-switchyard-model')).toBe('sm-chat');
    const body = (await response.json()) as { object: string; model: string; choices: { message: { content: string } }[]; usage: { completion_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('sm-chat');
    expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
    expect(body.usage.completion_tokens).toBeGreaterThan(0);

    const invocation = await lastInvocation('sm-chat');
    expect(invocation?.path).toBe('/endpoints/sm-chat/invocations');
    expect(invocation?.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIASWITCHYARDSIM001\/\d{8}\/us-east-1\/sagemaker\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    // The payload hash (computed with WebCrypto in workerd) is sent and signed, as the SDK does.
    expect(invocation?.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(invocation?.headers['authorization']).toContain('x-amz-content-sha256');
    // openai-sse style: the client's own body reaches the container.
    expect((invocation?.body as { messages: unknown[] }).messages).toHaveLength(1);
  });

  it('answers a text completion from a json-lines (LMI) endpoint, with its inference component and variant', async () => {
    const response = await call('/v1/completions', completion('sm-lines'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; model: string; choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } };
    expect(body.object).toBe('text_completion');
    expect(body.model).toBe('sm-lines');
    expect(body.choices[0]?.text.length).toBeGreaterThan(0);
    expect(body.choices[0]?.finish_reason).toBe('length');
    // The container's own counts (LMI details), the prompt's BOS token included.
    expect(body.usage).toEqual({ prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 });

    const invocation = await lastInvocation('sm-lines');
    expect(invocation?.headers['x-amzn-sagemaker-inference-component']).toBe('sm-lines-ic');
    expect(invocation?.headers['x-amzn-sagemaker-target-variant']).toBe('variant-a');
    expect(invocation?.body).toEqual({ inputs: 'Once upon a time', parameters: { details: true, max_new_tokens: 6, ignore_eos: true }, stream: false });
  });

  it('answers a chat completion from a json-lines endpoint, the messages rendered as its `inputs`', async () => {
    const response = await call('/v1/chat/completions', chat('sm-lines'));
    expect(response.status).toBe(200);
    const body = (await response.json()) as { object: string; choices: { message: { role: string; content: string } }[]; usage: { completion_tokens: number } };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.role).toBe('assistant');
    expect(body.usage.completion_tokens).toBe(8);
    const invocation = await lastInvocation('sm-lines');
    expect((invocation?.body as { inputs: string }).inputs).toBe('User: Say something about switchyards, naïvely.\n\nAssistant:');
  });

  it.each([
    ['openai-sse', 'chat', 'sm-chat'],
    ['openai-sse', 'completion', 'sm-chat'],
    ['json-lines', 'chat', 'sm-lines'],
    ['json-lines', 'completion', 'sm-lines'],
  ] as const)('streams %s %s through InvokeEndpointWithResponseStream as OpenAI SSE, with usage', async (_style, kind, model) => {
    const request = kind === 'chat' ? chat(model, { stream: true, stream_options: { include_usage: true } }) : completion(model, { stream: true, stream_options: { include_usage: true } });
    const response = await call(kind === 'chat' ? '/v1/chat/completions' : '/v1/completions', request);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const { done, chunks, content } = await readSse(response);
    expect(done).toBe(true);
    expect(content.length).toBeGreaterThan(0);
    expect(chunks.every((c) => c.model === model && c.object === (kind === 'chat' ? 'chat.completion.chunk' : 'text_completion'))).toBe(true);
    if (kind === 'chat') expect(chunks[0]?.choices[0]?.delta?.role).toBe('assistant');
    expect(chunks.some((c) => c.choices[0]?.finish_reason === 'length')).toBe(true);
    const usage = chunks.filter((c) => c.usage && c.choices.length === 0);
    expect(usage).toHaveLength(1);
    expect(usage[0]?.usage?.completion_tokens).toBe(kind === 'chat' ? 8 : 6);
    expect(usage[0]?.usage?.total_tokens).toBe((usage[0]?.usage?.prompt_tokens ?? 0) + (usage[0]?.usage?.completion_tokens ?? 0));
    expect((await lastInvocation(model))?.path).toBe(`/endpoints/${model}/invocations-response-stream`);
  });

  it('sends no usage chunk when the client did not ask for one', async () => {
    const { done, chunks } = await readSse(await call('/v1/chat/completions', chat('sm-lines', { stream: true })));
    expect(done).toBe(true);
    expect(chunks.some((c) => c.usage)).toBe(false);
  });
});

describe('SageMaker errors in the Worker', () => {
  it.each([
    ['ValidationError', {}, 400, 'invalid_request_error', 'invalid_request'],
    // The container's own error type passes through, as a vLLM endpoint's does.
    ['ModelError', { modelErrorStatus: 400 }, 400, 'invalid_request_error', 'invalid_request'],
    ['ModelError', { modelErrorStatus: 500 }, 502, 'server_error', 'upstream_error'],
    ['ModelError', { modelErrorStatus: 429 }, 429, 'rate_limit_error', 'upstream_error'],
    ['ModelNotReadyException', {}, 503, 'service_unavailable_error', 'sagemaker_model_not_ready'],
    ['ThrottlingException', {}, 429, 'rate_limit_error', 'sagemaker_throttled'],
    ['ServiceUnavailable', {}, 503, 'service_unavailable_error', 'sagemaker_unavailable'],
    ['InternalFailure', {}, 502, 'server_error', 'sagemaker_internal_failure'],
  ] as const)('maps %s %j to an OpenAI-shaped %i', async (errorType, extra, status, type, code) => {
    await withFaults('sm-faulty', { errorType, ...extra }, async () => {
      const response = await call('/v1/chat/completions', chat('sm-faulty'), freshEnv());
      expect(response.status).toBe(status);
      const error = await errorOf(response);
      expect(error.type).toBe(type);
      expect(error.code).toBe(code);
      expect(error.message.length).toBeGreaterThan(0);
    });
  });

  it('maps a streaming call that fails before its first event to a plain error, not a 200 stream', async () => {
    await withFaults('sm-faulty', { errorType: 'ThrottlingException' }, async () => {
      const response = await call('/v1/chat/completions', chat('sm-faulty', { stream: true }), freshEnv());
      expect(response.status).toBe(429);
      expect((await errorOf(response)).code).toBe('sagemaker_throttled');
    });
    await withFaults('sm-faulty', { streamExceptionAfterParts: 0 }, async () => {
      const response = await call('/v1/chat/completions', chat('sm-faulty', { stream: true }), freshEnv());
      expect(response.status).toBe(502);
      expect((await errorOf(response)).code).toBe('sagemaker_stream_error');
    });
  });

  it('ends the stream with an SSE error event when an exception frame arrives mid-way', async () => {
    await withFaults('sm-faulty', { streamExceptionAfterParts: 4, streamExceptionType: 'ModelStreamError' }, async () => {
      const response = await call('/v1/chat/completions', chat('sm-faulty', { stream: true, max_tokens: 20 }), freshEnv());
      expect(response.status).toBe(200);
      const { events, done, chunks } = await readSse(response);
      expect(done).toBe(false);
      expect(chunks.length).toBeGreaterThan(0);
      const last = events.at(-1) ?? '';
      expect(last).toMatch(/^event: error\ndata: /);
      expect(JSON.parse(last.split('data: ')[1] ?? '{}').error.code).toBe('stream_truncated');
    });
  });

  it('counts SageMaker throttling as saturation: fails over to the vLLM region, then stays away', async () => {
    const env = freshEnv();
    const first = await call('/v1/chat/completions', chat('sm-throttle'), env);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(first.headers.get('x-switchyard-route')).toMatch(/attempts=2$/);
    const throttledBefore = (await recorded('sm-throttled')).length;
    const second = await call('/v1/chat/completions', chat('sm-throttle', { stream: true }), env);
    expect(second.status).toBe(200);
    expect(second.headers.get('x-switchyard-region')).toBe('eu-west');
    expect(second.headers.get('x-switchyard-route')).not.toMatch(/attempts=/);
    expect((await readSse(second)).done).toBe(true);
    expect((await recorded('sm-throttled')).length).toBe(throttledBefore);
  });

  it('is rejected by SageMaker when signed with the wrong secret, and answers 502 saying so (without what SageMaker echoed)', async () => {
    const before = (await recorded('sm-chat')).length;
    const response = await call('/v1/chat/completions', chat('sm-chat'), freshEnv({ SAGEMAKER_SECRET_ACCESS_KEY: 'not-the-secret' }));
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    expect(error.code).toBe('sagemaker_auth_failed');
    expect(error.message).toBe("the upstream rejected the gateway's credentials (HTTP 403)");
    // The simulator received the call and refused it: nothing reached its container.
    const after = await recorded('sm-chat');
    expect(after.slice(before).map((r) => r.path)).toEqual(['/endpoints/sm-chat/invocations']);
  });

  it('answers 502 without calling SageMaker when a credential secret is missing', async () => {
    const before = (await recorded('sm-chat')).length;
    const response = await call('/v1/chat/completions', chat('sm-chat'), freshEnv({ SAGEMAKER_ACCESS_KEY_ID: undefined }));
    expect(response.status).toBe(502);
    const error = await errorOf(response);
    // The secret's name is the operator's business (startup warning, /healthz); the client learns nothing was sent.
    expect(error.code).toBe('upstream_credentials_missing');
    expect(error.message).toContain('Nothing was sent');
    expect(error.message).not.toContain('SAGEMAKER_ACCESS_KEY_ID');
    expect((await recorded('sm-chat')).length).toBe(before);
  });
});
