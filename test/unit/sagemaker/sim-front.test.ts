// The simulator's SageMaker front over plain HTTP: AWS's error shapes and the fault controls.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimServer } from '../../../infra/local/sim/server.ts';

let sim: SimServer;
let plain: SimServer;
beforeAll(async () => {
  sim = await startSim({ profile: 'zero', sagemaker: { endpoints: ['ep'], faults: { streamExceptionAfterParts: 3 } } });
  plain = await startSim({ profile: 'zero' });
});
afterAll(async () => {
  await sim.close();
  await plain.close();
});

const post = (server: SimServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('the simulator’s SageMaker runtime API', () => {
  it('refuses an unsigned or badly signed call in AWS’s shape, and records it', async () => {
    const unsigned = await post(sim, '/endpoints/ep/invocations', { prompt: 'x' });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(unsigned.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });

    const forged = await post(sim, '/endpoints/ep/invocations', { prompt: 'x' }, {
      authorization: `AWS4-HMAC-SHA256 Credential=AKIASWITCHYARDSIM001/20261124/us-east-1/sagemaker/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
      'x-amz-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''),
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    expect(sim.requests().at(-1)?.path).toBe('/endpoints/ep/invocations');
  });

  it('answers other methods as an unknown operation, and is off unless asked for', async () => {
    const get = await fetch(`${sim.url}/endpoints/ep/invocations`);
    expect(get.status).toBe(404);
    expect(get.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect((await post(plain, '/endpoints/ep/invocations', {})).status).toBe(404);
    expect(plain.sagemaker).toBeUndefined();
  });

  it('reads, patches and clears SageMaker faults, refusing unknown ones', async () => {
    expect(await (await fetch(`${sim.url}/sim/sagemaker/faults`)).json()).toEqual({ errorType: null, modelErrorStatus: 500, streamExceptionAfterParts: 3, streamExceptionType: 'ModelStreamError' });
    const patched = await post(sim, '/sim/sagemaker/faults', { errorType: 'ThrottlingException', modelErrorStatus: 503 });
    expect(await patched.json()).toMatchObject({ errorType: 'ThrottlingException', modelErrorStatus: 503 });
    expect(sim.sagemaker?.faults().errorType).toBe('ThrottlingException');
    const bad = await post(sim, '/sim/sagemaker/faults', { errorType: 'Gremlins' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/errorType must be null or one of/);
    expect((await post(sim, '/sim/sagemaker/faults', { typo: 1 })).status).toBe(400);
    await fetch(`${sim.url}/sim/sagemaker/faults`, { method: 'DELETE' });
    expect(sim.sagemaker?.faults()).toEqual({ errorType: null, modelErrorStatus: 500, streamExceptionAfterParts: null, streamExceptionType: 'ModelStreamError' });
    expect(() => sim.sagemaker?.setFaults({ streamExceptionType: 'Nope' as 'ModelStreamError' })).toThrow(/streamExceptionType/);
  });
});
