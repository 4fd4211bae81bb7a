// A hostile client against `switchyard serve` over the simulated federation: fast-check draws
// malformed requests of every class in test/support/malformed-requests.ts (the same generator
// `npm run bench -- fuzz` sends at volume) and sends them over HTTP, the socket-level ones as raw
// bytes. Every answer must be a well-formed OpenAI error with a 4xx status (or a 2xx when the
// draw happened to be a valid request); no 5xx, no dropped connection, no crash.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeCase, FUZZ_TIMEOUTS, fuzzFleetYaml, fuzzTarget, judgeAnswer, malformedRequest, type MalformedCase } from '../support/malformed-requests.ts';
import { sendCase } from '../support/send-malformed.ts';
import { startServeStack, type ServeStack } from '../support/serve-stack.ts';

let stack: ServeStack;
beforeAll(async () => {
  stack = await startServeStack({}, ['--probe-interval', '0'], { editFleet: fuzzFleetYaml });
});
afterAll(async () => {
  await stack?.stop();
});

/** Sends a batch, `concurrency` at a time; resolves with the first case answered wrongly, and why. */
async function firstWrong(cases: readonly MalformedCase[], concurrency: number): Promise<string | undefined> {
  const wrong: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as MalformedCase;
        const outcome = await sendCase(stack.url, c, FUZZ_TIMEOUTS.totalMs + 15_000);
        if ('none' in outcome) {
          if (!(c.transport === 'raw' && c.mayGoUnanswered)) wrong.push(`no answer (${outcome.none}: ${outcome.detail}) to ${describeCase(c)}`);
          continue;
        }
        const verdict = judgeAnswer(c.transport === 'fetch' ? c.method : 'RAW', outcome.answer);
        if (!verdict.ok) wrong.push(`${verdict.reason}\n  to ${describeCase(c)}`);
      }
    }),
  );
  return wrong[0];
}

describe('malformed requests against the Node gateway', () => {
  it('are each answered with a well-formed 4xx OpenAI error (or a 2xx when valid): no 5xx, no dropped connection, no crash', async () => {
    const batches = 60;
    const perBatch = 25; // 1,500 requests
    await fc.assert(
      fc.asyncProperty(fc.array(malformedRequest(fuzzTarget(stack.info.keys.any)), { minLength: perBatch, maxLength: perBatch }), async (cases) => {
        expect(await firstWrong(cases, 8)).toBeUndefined();
      }),
      { numRuns: batches, endOnFailure: true },
    );
    // Still up, and nothing escaped the app's onError with a stack.
    expect(stack.gateway.child.exitCode).toBeNull();
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
    expect(stack.gateway.output.filter((line) => line.includes('"stack"'))).toEqual([]);
  }, 240_000);
});
