// The hostile client of test/e2e/malformed-requests.test.ts inside workerd: the same generator's
// requests (those a Request can carry; socket-level framing is the runtime's own HTTP stack)
// through `worker.fetch` in front of the simulated federation. Every answer must be a
// well-formed OpenAI error with a 4xx status, or a 2xx when the draw happened to be valid.
import fc from 'fast-check';
import { describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../workers/gateway.ts';
import { describeCase, fuzzFleet, fuzzTarget, judgeAnswer, malformedRequest, toRequest, type FetchCase } from '../support/malformed-requests.ts';
import { dispatchRead, testEnv } from './dispatch.ts';

const worker = createWorker(fuzzFleet(inject('fleet')));

describe('malformed requests inside workerd', () => {
  it('are each answered with a well-formed 4xx OpenAI error (or a 2xx when valid): no 5xx, no throw', async () => {
    const env = testEnv();
    const fetchOnly = malformedRequest(fuzzTarget(inject('keys').any), { transports: ['fetch'] }) as fc.Arbitrary<FetchCase>;
    await fc.assert(
      fc.asyncProperty(fc.array(fetchOnly, { minLength: 10, maxLength: 10 }), async (cases) => {
        const wrong = await Promise.all(
          cases.map(async (c) => {
            const response = await dispatchRead(worker, toRequest('https://gateway.test', c), env);
            const verdict = judgeAnswer(c.method, { status: response.status, headers: new Map(response.headers), body: await response.text() });
            return verdict.ok ? undefined : `${verdict.reason}\n  to ${describeCase(c)}`;
          }),
        );
        expect(wrong.filter((w) => w !== undefined)).toEqual([]);
      }),
      { numRuns: 30, endOnFailure: true }, // 300 requests
    );
  }, 120_000);
});
