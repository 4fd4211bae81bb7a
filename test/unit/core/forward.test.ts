import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/api/errors.ts';
import { OPENAI_ENDPOINTS } from '../../../src/api/openai-endpoints.ts';
import type { Backend, BackendCall } from '../../../src/backends/backend.ts';
import { CancelScope } from '../../../src/backends/cancellation.ts';
import { TransportError, type UpstreamResponse } from '../../../src/backends/transport.ts';
import { parseUpstreamError, UpstreamHttpError } from '../../../src/backends/upstream-error.ts';
import { forward, type ForwardDeps, type ForwardInput } from '../../../src/forward/forward.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import type { Candidate, Scored } from '../../../src/route/types.ts';
import { upstreamResponse } from '../../support/upstream.ts';
import { candidatesOf, localFleet } from './fixtures.ts';

const fleet = localFleet();
// us-east pod-a, us-east pod-b, eu-west, apac
const ranked: Scored[] = candidatesOf(fleet, 'llama-3.1-8b').map((candidate) => ({ candidate, total: 1, parts: {} }));
const TIMEOUTS = { connectMs: 2000, firstByteMs: 30000, totalMs: 300000, streamIdleMs: 30000 };

type Outcome = UpstreamResponse | Error | ((call: BackendCall) => UpstreamResponse | Error);

/** A backend that answers each call with the next scripted outcome and records the calls. */
function scriptedBackend(outcomes: readonly Outcome[]) {
  const calls: BackendCall[] = [];
  const backend: Backend = {
    kind: 'vllm',
    async send(call) {
      calls.push(call);
      const scripted = outcomes[calls.length - 1];
      if (scripted === undefined) throw new Error(`unexpected call ${calls.length} to ${call.endpoint.id}`);
      const outcome = typeof scripted === 'function' ? scripted(call) : scripted;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return { backend, calls };
}

/** A clock that advances 5 ms each time it is read. */
function steppingClock() {
  let t = 1_000;
  return () => {
    t += 5;
    return t;
  };
}

const freshLive = () => new LiveState(localFleet().endpoints.map((e) => e.id));

function run(outcomes: readonly Outcome[], input: Partial<ForwardInput> = {}, live = freshLive()) {
  const { backend, calls } = scriptedBackend(outcomes);
  const deps: ForwardDeps = {
    backends: { vllm: backend, sagemaker: backend },
    credential: (c: Candidate) => (c.region.id === 'us-east' ? 'us-token' : undefined),
    credentialMissing: () => false,
    now: steppingClock(),
    live,
  };
  const promise = forward(
    { ranked, route: OPENAI_ENDPOINTS.chat.upstream, body: '{"model":"llama-3.1-8b"}', attempts: [], requestId: 'req-1', timeouts: TIMEOUTS, cancel: new CancelScope(), maxAttempts: 3, ...input },
    deps,
  );
  return { promise, calls, live };
}

const httpError = (status: number, body = '{"error":{"message":"nope","type":"X","param":null,"code":0}}', retryAfter: string | null = null) =>
  new UpstreamHttpError(status, parseUpstreamError(status, body), retryAfter);

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected forward to throw');
}

describe('forward', () => {
  it('sends the call to the first candidate with body, route, request id, credential and timeouts', async () => {
    const ok = upstreamResponse(200, '{}');
    const { promise, calls } = run([ok]);
    const result = await promise;
    expect(result.response).toBe(ok);
    expect(result.candidate.endpoint.id).toBe('us-east/llama-3.1-8b/pod-a');
    expect(result.attempts).toEqual([{ endpoint: 'us-east/llama-3.1-8b/pod-a', outcome: 200, ms: 5 }]);
    expect(calls).toHaveLength(1);
    const call = calls[0] as BackendCall;
    expect([call.endpoint.id, call.route, call.body, call.requestId, call.credential, call.connectMs, call.firstByteMs]).toEqual([
      'us-east/llama-3.1-8b/pod-a',
      OPENAI_ENDPOINTS.chat.upstream,
      '{"model":"llama-3.1-8b"}',
      'req-1',
      'us-token',
      2000,
      30000,
    ]);
  });

  it('moves on to the next region after a network error and records both attempts', async () => {
    const { promise, calls } = run([new TransportError('network', 'ECONNREFUSED'), upstreamResponse(200, '{}')]);
    const result = await promise;
    expect(result.candidate.endpoint.id).toBe('eu-west/llama-3.1-8b/0');
    expect(result.attempts).toEqual([
      { endpoint: 'us-east/llama-3.1-8b/pod-a', outcome: 'network', ms: 5 },
      { endpoint: 'eu-west/llama-3.1-8b/0', outcome: 200, ms: 5 },
    ]);
    expect(calls.map((c) => c.endpoint.id)).toEqual(['us-east/llama-3.1-8b/pod-a', 'eu-west/llama-3.1-8b/0']);
  });

  it('counts the answering endpoint in flight until done() is called, and releases failed attempts at once', async () => {
    const inflightDuringCalls: number[] = [];
    const live = freshLive();
    const { promise } = run([
      (call) => {
        inflightDuringCalls.push(live.inflight(call.endpoint.id));
        return new TransportError('network', 'ECONNREFUSED');
      },
      (call) => {
        inflightDuringCalls.push(live.inflight(call.endpoint.id));
        return upstreamResponse(200, '{}');
      },
    ], {}, live);
    const result = await promise;
    expect(inflightDuringCalls).toEqual([1, 1]);
    // The refused us-east pod is released at once; the answering endpoint (eu-west, as us-east
    // is deferred after a refused connection) stays in flight until done().
    expect([live.inflight('us-east/llama-3.1-8b/pod-a'), live.inflight('eu-west/llama-3.1-8b/0')]).toEqual([0, 1]);
    result.done();
    result.done();
    expect(live.inflight('eu-west/llama-3.1-8b/0')).toBe(0);
  });

  it('leaves nothing in flight when every attempt fails', async () => {
    const { promise, live } = run([httpError(503), httpError(503), httpError(503)]);
    await rejection(promise);
    expect(ranked.map((s) => live.inflight(s.candidate.endpoint.id))).toEqual([0, 0, 0, 0]);
  });

  it.each([400, 404, 413, 422])('does not retry an upstream %i: the client error is thrown as is', async (status) => {
    const error = httpError(status);
    const { promise, calls } = run([error, upstreamResponse(200, '{}')]);
    expect(await rejection(promise)).toBe(error);
    expect(calls).toHaveLength(1);
  });

  // Failures of the endpoint (unreachable, overloaded, broken gateway, our credentials, a redirect) move on.
  it.each([429, 502, 503, 504, 408, 401, 403, 307])('retries an upstream %i on the next candidate', async (status) => {
    const { promise, calls } = run([httpError(status), upstreamResponse(200, '{}')]);
    const result = await promise;
    expect(result.attempts.map((a) => a.outcome)).toEqual([status, 200]);
    expect(calls).toHaveLength(2);
  });

  describe('a failure that follows the request, not the endpoint', () => {
    // A 500 from vLLM answers this body (a template that recursed, a tokenizer that choked):
    // another endpoint runs the same code on the same body. Retrying it spreads one tenant's
    // bad request over the fleet, and counting it would open every breaker of the model.
    it.each([500, 501, 505, 405, 409])('does not retry an upstream %i', async (status) => {
      const error = httpError(status);
      const { promise, calls } = run([error, upstreamResponse(200, '{}')]);
      expect(await rejection(promise)).toBe(error);
      expect(calls).toHaveLength(1);
    });

    it('never opens the breaker nor raises the error rate, however many such answers in a row', async () => {
      const live = freshLive();
      const endpoint = 'us-east/llama-3.1-8b/pod-a';
      for (let i = 0; i < 20; i++) await rejection(run([httpError(500)], {}, live).promise);
      const view = live.view(1_100);
      expect(view.endpoint(endpoint).breaker).toBe('closed');
      expect(view.endpoint(endpoint).errorRate).toBe(0);
      expect(view.failing).toBe(false);
      expect(live.admit(endpoint, 1_100)).toBe(true);
    });

    it('while the same number of endpoint failures (503) opens it and raises the error rate', async () => {
      const live = freshLive();
      const endpoint = 'us-east/llama-3.1-8b/pod-a';
      for (let i = 0; i < 5; i++) await rejection(run([httpError(503)], { maxAttempts: 1 }, live).promise);
      const view = live.view(1_100);
      expect(view.endpoint(endpoint).breaker).toBe('open');
      expect(view.endpoint(endpoint).errorRate).toBeGreaterThan(0.5);
      expect(view.failing).toBe(true);
    });
  });

  it('stops after maxAttempts and throws the last upstream error, Retry-After included', async () => {
    const last = httpError(429, '{"error":"slow down"}', '3');
    const { promise, calls } = run([httpError(503), httpError(503), last, upstreamResponse(200, '{}')], { maxAttempts: 3 });
    const error = await rejection(promise);
    expect(error).toBe(last);
    expect((error as GatewayError).headers).toEqual({ 'retry-after': '3' });
    expect(calls.map((c) => c.endpoint.id)).toEqual(['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b', 'eu-west/llama-3.1-8b/0']);
  });

  it('tries every candidate when there are fewer than maxAttempts', async () => {
    const { promise, calls } = run([httpError(503), httpError(503), httpError(503), httpError(503)], { maxAttempts: 10 });
    expect(((await rejection(promise)) as GatewayError).status).toBe(503);
    expect(calls).toHaveLength(4);
  });

  it('answers 504 upstream_connect_timeout when every attempt times out connecting', async () => {
    const timeout = () => new TransportError('connect', 'no response headers within 32000 ms', { timeoutMs: 2000 });
    const { promise, calls } = run([timeout(), timeout(), timeout()]);
    const error = (await rejection(promise)) as GatewayError;
    expect(error.status).toBe(504);
    expect(error.toBody()).toEqual({
      error: { message: 'The upstream did not answer in time (connect timeout after 2000 ms).', type: 'server_error', param: null, code: 'upstream_connect_timeout' },
    });
    expect(calls).toHaveLength(3);
  });

  it('answers 504 upstream_first_byte_timeout when the last attempt waited too long for headers', async () => {
    const { promise } = run([new TransportError('network', 'reset'), new TransportError('first_byte', 'slow', { timeoutMs: 30000 }), new TransportError('first_byte', 'slow', { timeoutMs: 30000 })]);
    const error = (await rejection(promise)) as GatewayError;
    expect([error.status, error.code, error.message]).toEqual([504, 'upstream_first_byte_timeout', 'The upstream did not answer in time (first byte timeout after 30000 ms).']);
  });

  it('answers 503 upstream_unreachable when every attempt failed to connect', async () => {
    const { promise } = run([new TransportError('network', 'ECONNREFUSED'), new TransportError('network', 'ECONNREFUSED'), new TransportError('connect', 'ECONNREFUSED')]);
    const error = (await rejection(promise)) as GatewayError;
    expect([error.status, error.code, error.message, error.detail]).toEqual([503, 'upstream_unreachable', 'The upstream could not be reached.', 'ECONNREFUSED']);
  });

  it('stops walking the candidates once the deadline passes, answering 504 upstream_total_timeout', async () => {
    const cancel = new CancelScope();
    const abortDuringCall = () => {
      cancel.cancel('deadline');
      return new TransportError('aborted', 'request aborted');
    };
    const { promise, calls } = run([abortDuringCall, upstreamResponse(200, '{}')], { cancel });
    const error = (await rejection(promise)) as GatewayError;
    expect(calls).toHaveLength(1);
    expect([error.status, error.code, error.message]).toEqual([504, 'upstream_total_timeout', 'The upstream did not answer in time (total timeout after 300000 ms).']);
  });

  it('reports a client that left as 499 client_closed_request, not as a timeout', async () => {
    const cancel = new CancelScope();
    const leave = () => {
      cancel.cancel('client');
      return new TransportError('aborted', 'request aborted');
    };
    const { promise, calls } = run([leave, upstreamResponse(200, '{}')], { cancel });
    const error = (await rejection(promise)) as GatewayError;
    expect(calls).toHaveLength(1);
    expect([error.status, error.code]).toEqual([499, 'client_closed_request']);
  });

  it('does not call any endpoint when the client has already left', async () => {
    const cancel = new CancelScope();
    cancel.cancel('client');
    const { promise, calls } = run([upstreamResponse(200, '{}')], { cancel });
    expect(((await rejection(promise)) as GatewayError).status).toBe(499);
    expect(calls).toHaveLength(0);
  });

  it('stops at the deadline even after a retryable failure, keeping that upstream error', async () => {
    const cancel = new CancelScope();
    const overloaded = httpError(503);
    const { promise, calls } = run(
      [
        () => {
          cancel.cancel('deadline');
          return overloaded;
        },
        upstreamResponse(200, '{}'),
      ],
      { cancel },
    );
    expect(await rejection(promise)).toBe(overloaded);
    expect(calls).toHaveLength(1);
  });

  it('answers 503 no_available_endpoint when there is nothing to try', async () => {
    const { promise, calls } = run([], { ranked: [] });
    const error = (await rejection(promise)) as GatewayError;
    expect([error.status, error.code]).toEqual([503, 'no_available_endpoint']);
    expect(calls).toHaveLength(0);
  });

  it('does not retry an unexpected error and reports it as 502', async () => {
    const { promise, calls } = run([new TypeError('boom'), upstreamResponse(200, '{}')]);
    const error = (await rejection(promise)) as GatewayError;
    expect([error.status, error.code]).toEqual([502, 'upstream_error']);
    expect(calls).toHaveLength(1);
  });

  describe('when a non-streaming body is read inside the attempt', () => {
    it('fails over when the upstream dies after its headers, and counts it against that endpoint', async () => {
      const cut: UpstreamResponse = { ...upstreamResponse(200, '{}'), bytes: () => Promise.reject(new Error('read ECONNRESET')) };
      const live = freshLive();
      const { promise, calls } = run([cut, upstreamResponse(200, '{"ok":true}')], { readBody: true }, live);
      const forwarded = await promise;
      // A body cut after the headers says nothing about the region: its other pod is next.
      expect(calls.map((c) => c.endpoint.id)).toEqual(['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b']);
      expect(new TextDecoder().decode(forwarded.body)).toBe('{"ok":true}');
      expect(forwarded.attempts.map((a) => a.outcome)).toEqual(['body', 200]);
      forwarded.done();
      expect(live.inflight('us-east/llama-3.1-8b/pod-a')).toBe(0);
    });

    it('returns no body when none was asked for (streams are relayed, not read)', async () => {
      const { promise } = run([upstreamResponse(200, '{}')]);
      expect((await promise).body).toBeUndefined();
    });
  });

  describe('after a region cannot be reached', () => {
    it('tries the other regions before the same region\'s other endpoints', async () => {
      const refused = () => new TransportError('network', 'ECONNREFUSED');
      const { promise, calls } = run([refused, refused, upstreamResponse(200, '{}')]);
      await promise;
      expect(calls.map((c) => c.endpoint.id)).toEqual(['us-east/llama-3.1-8b/pod-a', 'eu-west/llama-3.1-8b/0', 'apac/llama-3.1-8b/0']);
    });

    it('still comes back to the deferred endpoints when nothing else is left', async () => {
      const refused = () => new TransportError('network', 'ECONNREFUSED');
      const { promise, calls } = run([refused, refused, refused, upstreamResponse(200, '{}')], { maxAttempts: 4 });
      await promise;
      expect(calls.map((c) => c.endpoint.id).at(-1)).toBe('us-east/llama-3.1-8b/pod-b');
    });

    it('does not defer a region for an HTTP error (the server is up)', async () => {
      const { promise, calls } = run([httpError(503), upstreamResponse(200, '{}')]);
      await promise;
      expect(calls.map((c) => c.endpoint.id)).toEqual(['us-east/llama-3.1-8b/pod-a', 'us-east/llama-3.1-8b/pod-b']);
    });
  });
});
