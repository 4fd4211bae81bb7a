import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/api/errors.ts';
import { clientStatusFor, parseUpstreamError, upstreamFault, UpstreamHttpError, type NormalizedUpstreamError } from '../../../src/backends/upstream-error.ts';

describe('parseUpstreamError', () => {
  it.each<[string, number, string, NormalizedUpstreamError]>([
    [
      'vLLM today: {"error":{message,type,param,code:int}}',
      400,
      '{"error":{"message":"This model\'s maximum context length is 8192 tokens.","type":"BadRequestError","param":"messages","code":400}}',
      { message: "This model's maximum context length is 8192 tokens.", type: 'BadRequestError', param: 'messages', code: '400' },
    ],
    [
      'older vLLM: flat {"object":"error",...}',
      404,
      '{"object":"error","message":"The model `llama-9b` does not exist.","type":"NotFoundError","param":null,"code":404}',
      { message: 'The model `llama-9b` does not exist.', type: 'NotFoundError', param: null, code: '404' },
    ],
    ['KServe: {"error":"<message>"}', 503, '{"error":"Model is not ready"}', { message: 'Model is not ready', type: null, param: null, code: null }],
    [
      'KServe: {"error":{"message","code":"<string>"}}',
      503,
      '{"error":{"message":"model llama-3-1-8b is loading","code":"model_not_ready"}}',
      { message: 'model llama-3-1-8b is loading', type: null, param: null, code: 'model_not_ready' },
    ],
    ['FastAPI: {"detail":"..."}', 404, '{"detail":"Not Found"}', { message: 'Not Found', type: null, param: null, code: null }],
    ['an error object without a message', 500, '{"error":{"code":500}}', { message: 'upstream answered HTTP 500', type: null, param: null, code: '500' }],
    ['JSON that is not an error shape', 500, '{"ok":false}', { message: 'upstream answered HTTP 500', type: null, param: null, code: null }],
    ['a JSON array', 500, '[1,2]', { message: 'upstream answered HTTP 500', type: null, param: null, code: null }],
    ['a JSON null', 502, 'null', { message: 'upstream answered HTTP 502', type: null, param: null, code: null }],
  ])('reads %s', (_shape, status, body, normalized) => {
    expect(parseUpstreamError(status, body)).toEqual(normalized);
  });

  it("keeps the reason of FastAPI's validation error list", () => {
    const body = '{"detail":[{"type":"missing","loc":["body","model"],"msg":"Field required","input":{}}]}';
    expect(parseUpstreamError(422, body).message).toContain('Field required');
  });

  it('turns an HTML page into a whitespace-collapsed excerpt', () => {
    const html = '<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\n\t<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n';
    expect(parseUpstreamError(502, html)).toEqual({
      message: '<html> <head><title>502 Bad Gateway</title></head> <body> <center><h1>502 Bad Gateway</h1></center> <hr><center>nginx</center> </body> </html>',
      type: null,
      param: null,
      code: null,
    });
  });

  it('keeps at most 2,000 characters of a long text body (for the log; clients never see it)', () => {
    const text = `upstream connect error or disconnect/reset before headers. ${'x'.repeat(5000)}`;
    const { message } = parseUpstreamError(503, `  ${text}  `);
    expect(message).toHaveLength(2000);
    expect(message).toBe(text.slice(0, 2000));
  });

  it.each([
    ['an empty body', ''],
    ['a body of whitespace', ' \n\t '],
  ])('says the upstream answered with an empty body for %s', (_what, body) => {
    expect(parseUpstreamError(504, body)).toEqual({ message: 'upstream answered HTTP 504 with an empty body', type: null, param: null, code: null });
  });
});

describe('clientStatusFor', () => {
  it.each([
    [400, 400],
    [404, 404],
    [413, 413],
    [422, 422],
    [401, 502],
    [403, 502],
    [405, 502],
    [408, 504],
    [504, 504],
    [429, 429],
    [503, 503],
    [500, 502],
    [502, 502],
    [507, 502],
  ])('maps upstream %i to %i', (upstream, client) => {
    expect(clientStatusFor(upstream)).toBe(client);
  });
});

describe('UpstreamHttpError', () => {
  const vllm = (message: string, code: number): NormalizedUpstreamError => ({ message, type: 'BadRequestError', param: 'max_tokens', code: String(code) });

  it.each<[number, number, boolean, string, string, string]>([
    // The upstream's type (vLLM's BadRequestError) never reaches the client: OpenAI's does.
    [400, 400, false, 'bad max_tokens', 'invalid_request', 'invalid_request_error'],
    [404, 404, false, 'bad max_tokens', 'invalid_request', 'invalid_request_error'],
    [413, 413, false, 'bad max_tokens', 'invalid_request', 'invalid_request_error'],
    [422, 422, false, 'bad max_tokens', 'invalid_request', 'invalid_request_error'],
    // What an upstream says when it refuses our credentials may echo them: not repeated.
    [401, 502, true, "the upstream rejected the gateway's credentials (HTTP 401)", 'upstream_error', 'server_error'],
    [403, 502, true, "the upstream rejected the gateway's credentials (HTTP 403)", 'upstream_error', 'server_error'],
    // Failures that are not the client's reach it as a status and a fixed summary: none of the upstream's words.
    [408, 504, true, 'upstream error (HTTP 408)', 'upstream_error', 'server_error'],
    [504, 504, true, 'upstream error (HTTP 504)', 'upstream_error', 'server_error'],
    [429, 429, true, 'the upstream is at capacity (HTTP 429); retry after the time in Retry-After', 'upstream_error', 'rate_limit_error'],
    [503, 503, true, 'upstream error (HTTP 503)', 'upstream_error', 'service_unavailable_error'],
    [307, 502, true, 'the upstream answered with a redirect (HTTP 307), which the gateway never follows', 'upstream_error', 'server_error'],
    // A 500 follows the body that caused it: another endpoint would fail it the same way.
    [500, 502, false, 'the upstream failed on this request (HTTP 500); it was not sent to another endpoint, which would fail it the same way', 'upstream_error', 'server_error'],
  ])('answers upstream %i as %i (retryable: %s)', (upstream, status, retryable, message, code, type) => {
    const error = new UpstreamHttpError(upstream, vllm('bad max_tokens', upstream), null);
    expect(error).toBeInstanceOf(GatewayError);
    expect([error.status, error.upstreamStatus, error.retryable]).toEqual([status, upstream, retryable]);
    expect(error.toBody()).toEqual({ error: { message, type, param: 'max_tokens', code } });
  });

  it.each<[number, string]>([
    [502, 'endpoint'], [503, 'endpoint'], [504, 'endpoint'], [408, 'endpoint'], [401, 'endpoint'], [403, 'endpoint'], [301, 'endpoint'], [307, 'endpoint'],
    [429, 'saturated'],
    [400, 'request'], [404, 'request'], [405, 'request'], [413, 'request'], [422, 'request'], [500, 'request'], [501, 'request'], [505, 'request'], [599, 'request'],
  ])('says an upstream %i is the fault of the %s', (status, fault) => {
    expect(upstreamFault(status)).toBe(fault);
    expect(new UpstreamHttpError(status, vllm('x', status), null).fault).toBe(fault);
  });

  it('takes the fault from the caller when the status alone cannot tell (SageMaker failing itself with a 500)', () => {
    const error = new UpstreamHttpError(500, vllm('InternalFailure', 500), null, { fault: 'endpoint' });
    expect([error.fault, error.retryable]).toEqual(['endpoint', true]);
  });

  it('keeps a string error code from the upstream', () => {
    const error = new UpstreamHttpError(503, { message: 'loading', type: null, param: null, code: 'model_not_ready' }, null);
    expect(error.toBody().error.code).toBe('model_not_ready');
  });

  it.each([
    [429, '7'],
    [503, '120'],
  ])('carries Retry-After on %i to the client response', async (status, retryAfter) => {
    const error = new UpstreamHttpError(status, parseUpstreamError(status, '{"error":"busy"}'), retryAfter);
    expect(error.headers).toEqual({ 'retry-after': retryAfter });
    const response = error.toResponse();
    expect(response.status).toBe(status);
    expect(response.headers.get('retry-after')).toBe(retryAfter);
    expect(await response.json()).toEqual({
      error: { message: error.message, type: status === 429 ? 'rate_limit_error' : 'service_unavailable_error', param: null, code: 'upstream_error' },
    });
    expect(error.message).not.toContain('busy');
    expect(error.detail).toBe('busy');
  });

  it.each<[string, string, string]>([
    ['an internal URL', 'cannot reach http://decode-0.llm.svc.cluster.local:8000/v1/kv', 'cannot reach [url]'],
    ['an IP and port', 'connect ECONNREFUSED 10.0.3.7:8000', 'connect ECONNREFUSED [address]'],
    ['a cluster hostname', 'pod llama-prefill-7d9.llm.svc.cluster.local is gone', 'pod [host] is gone'],
    ['a file path and traceback', 'Engine died: File "/opt/vllm/engine.py", line 3\nTraceback (most recent call last):\n  raise X', 'Engine died: File "[path]", line 3'],
    ['a bearer token', 'Authorization: Bearer sk-upstream-123 was refused', 'Authorization: Bearer [redacted] was refused'],
  ])('keeps a client error’s message without %s', (_what, said, shown) => {
    const error = new UpstreamHttpError(400, parseUpstreamError(400, JSON.stringify({ error: { message: said } })), null);
    expect(error.message).toBe(shown);
    expect(error.detail).toBe(said.replace('sk-upstream-123', '[redacted]'));
  });

  it.each<[string, string, string]>([
    ['a bare IPv6 address', 'refused by fe80::1ff:fe23:4567:890a on eth0', 'refused by [address] on eth0'],
    ['a public host name', 'model served by gpu-17.us-east.acme.cloud is busy', 'model served by [host] is busy'],
    ['an OpenAI-style key', 'key sk-live-51Habcdef0123456789abcdef is invalid', 'key [redacted] is invalid'],
    ['an AWS access key id', 'signed with AKIAIOSFODNN7EXAMPLE', 'signed with [redacted]'],
    ['a key=value secret', 'config api_key=hunter2hunter2 rejected', 'config api_key=[redacted] rejected'],
    ['a Node stack', 'bad input\n    at parse (/srv/app/parse.js:10:3)\n    at main (/srv/app/index.js:1:1)', 'bad input'],
    ['a Go panic', 'bad input goroutine 7 [running]:\nmain.parse()', 'bad input'],
  ])('removes %s from a client error', (_what, said, shown) => {
    expect(new UpstreamHttpError(400, { message: said, type: null, param: null, code: null }, null).message).toBe(shown);
  });

  it('removes the fleet’s own upstream hosts given to it, and passes on only identifier-like codes and params', () => {
    const error = new UpstreamHttpError(400, { message: 'see llama-8b:8000 and llama-8b.inference for details', type: null, param: '../../etc/passwd', code: 'see http://x' }, null, { internal: ['llama-8b:8000', 'llama-8b.inference'] });
    expect(error.toBody().error).toEqual({ message: 'see [host] and [host] for details', type: 'invalid_request_error', param: null, code: 'invalid_request' });
  });

  it('removes the region credential the call carried, from the client message and from the operator detail', () => {
    const error = new UpstreamHttpError(400, parseUpstreamError(400, '{"error":{"message":"token us-secret-token-9 is not allowed this model"}}'), null, { secrets: ['us-secret-token-9'] });
    expect(error.message).toBe('token [redacted] is not allowed this model');
    expect(error.detail).toBe('token [redacted] is not allowed this model');
  });

  it('sets no Retry-After when the upstream sent none', () => {
    expect(new UpstreamHttpError(503, parseUpstreamError(503, ''), null).headers).toEqual({});
  });
});
