import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { describe, expect, it } from 'vitest';
import { TEST_AWS_CREDENTIALS } from '../../../infra/local/sim/sagemaker/front.ts';
import { type AwsCredentials, type SignedRequest, verifySigV4 } from '../../../infra/local/sim/sagemaker/sigv4.ts';

/** Signs an InvokeEndpoint call with the real SDK and captures it instead of sending it. */
async function signedBySdk(credentials: AwsCredentials = TEST_AWS_CREDENTIALS, region = 'us-east-1'): Promise<SignedRequest> {
  let captured: SignedRequest | undefined;
  const client = new SageMakerRuntimeClient({
    region,
    credentials,
    endpoint: 'http://127.0.0.1:8080',
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) => {
        const body = typeof request.body === 'string' ? new TextEncoder().encode(request.body) : (request.body as Uint8Array);
        captured = { method: request.method, target: request.path, headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v])), body };
        return { response: { statusCode: 200, headers: { 'content-type': 'application/json' }, body: new ReadableStream({ start: (c) => c.close() }) } };
      },
    },
  });
  await client.send(new InvokeEndpointCommand({ EndpointName: 'sm-chat', Body: '{"messages":[{"role":"user","content":"hé"}]}', ContentType: 'application/json', TargetVariant: 'variant-a' }));
  if (!captured) throw new Error('the SDK sent nothing');
  return captured;
}

const options = { credentials: TEST_AWS_CREDENTIALS, service: 'sagemaker', region: 'us-east-1' };

describe('SigV4 verification (the simulator) against the AWS SDK signer', () => {
  it('accepts the SDK’s own signature', async () => {
    const request = await signedBySdk();
    expect(request.target).toBe('/endpoints/sm-chat/invocations');
    expect(request.headers['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIASWITCHYARDSIM001\/\d{8}\/us-east-1\/sagemaker\/aws4_request/);
    expect(verifySigV4(request, { ...options, now: new Date() })).toEqual({ ok: true, region: 'us-east-1' });
  });

  it('rejects a signature made with another secret', async () => {
    const request = await signedBySdk({ accessKeyId: TEST_AWS_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong-secret' });
    const verdict = verifySigV4(request, { ...options, now: new Date() });
    expect(verdict).toMatchObject({ ok: false, status: 403, type: 'InvalidSignatureException' });
  });

  it('rejects a request tampered with after signing: body, signed header, path', async () => {
    const request = await signedBySdk();
    const now = new Date();
    const body = new TextEncoder().encode('{"messages":[{"role":"user","content":"hi"}]}');
    expect(verifySigV4({ ...request, body }, { ...options, now })).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    // Without the payload-hash header, only the signature can catch it.
    const { 'x-amz-content-sha256': _hash, ...headers } = request.headers;
    expect(verifySigV4({ ...request, headers, body }, { ...options, now })).toMatchObject({ ok: false, status: 403, type: 'InvalidSignatureException' });
    const variant = { ...request.headers, 'x-amzn-sagemaker-target-variant': 'variant-b' };
    expect(verifySigV4({ ...request, headers: variant }, { ...options, now })).toMatchObject({ ok: false, status: 403, type: 'InvalidSignatureException' });
    expect(verifySigV4({ ...request, target: '/endpoints/other/invocations' }, { ...options, now })).toMatchObject({ ok: false, status: 403 });
  });

  it('answers like AWS for a missing, unknown, mis-scoped or stale signature', async () => {
    const request = await signedBySdk();
    const now = new Date();
    const { authorization: _auth, ...unsigned } = request.headers;
    expect(verifySigV4({ ...request, headers: unsigned }, { ...options, now })).toMatchObject({ status: 403, type: 'MissingAuthenticationTokenException' });
    const stranger = await signedBySdk({ accessKeyId: 'AKIAOTHERKEY00000000', secretAccessKey: TEST_AWS_CREDENTIALS.secretAccessKey });
    expect(verifySigV4(stranger, { ...options, now })).toMatchObject({ status: 403, type: 'UnrecognizedClientException' });
    const elsewhere = await signedBySdk(TEST_AWS_CREDENTIALS, 'eu-west-1');
    expect(verifySigV4(elsewhere, { ...options, now })).toMatchObject({ status: 403, type: 'InvalidSignatureException' });
    expect(verifySigV4(request, { ...options, now: new Date(now.getTime() + 10 * 60_000) })).toMatchObject({ status: 403, message: expect.stringMatching(/^Signature expired/) });
    expect(verifySigV4({ ...request, headers: { ...request.headers, authorization: 'AWS4-HMAC-SHA256 Credential=x' } }, { ...options, now })).toMatchObject({ status: 400, type: 'IncompleteSignatureException' });
  });

  it('checks the session token of temporary credentials', async () => {
    const temporary = { ...TEST_AWS_CREDENTIALS, sessionToken: 'session-token-1' };
    const request = await signedBySdk(temporary);
    const now = new Date();
    expect(request.headers['x-amz-security-token']).toBe('session-token-1');
    expect(verifySigV4(request, { ...options, credentials: temporary, now })).toMatchObject({ ok: true });
    expect(verifySigV4(request, { ...options, credentials: { ...temporary, sessionToken: 'other' }, now })).toMatchObject({ ok: false, type: 'UnrecognizedClientException' });
  });
});
