// Routing under an endpoint failing 30 % of its requests (the chaos bench's errors-30 fault), as
// the gateway routes: LiveState fed with every attempt's outcome, the pipeline built from the
// policy's weights, the region-pool picker, the forwarder's walk to the next candidate on a
// failure. A discrete-event simulation on a seeded clock: 100 requests a second, each answered
// after 150-250 ms, the fault's 503s after 20 ms.
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../infra/local/sim/hash.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { pipelineFromWeights, planRoute } from '../../../src/route/pipeline.ts';
import { regionPoolPicker } from '../../../src/route/region-pool-picker.ts';
import type { Candidate, RouteRequest } from '../../../src/route/types.ts';
import { candidatesOf, localFleet, routeRequest } from '../core/fixtures.ts';

const fleet = localFleet();
const llama = candidatesOf(fleet, 'llama-3.1-8b'); // us-east pod-a, us-east pod-b, eu-west, apac
const { placement: _, ...model } = routeRequest(fleet, 'llama-3.1-8b').model;
const request: RouteRequest = { ...routeRequest(fleet, 'llama-3.1-8b'), model };

const SECONDS = 60;
const FAULT = { from: 8_000, to: 40_000 };
const START = 1_000_000;

interface Run {
  /** Share of the requests sent in [from, to) ms that reached the target (any attempt). */
  share(from: number, to: number): number;
  /** Attempts after a failure (the client's request sent again elsewhere). */
  secondAttempts: number;
  /** Requests that found no endpoint to answer them. */
  failed: number;
}

function simulate(weights: Record<string, number>, target: string, seed = 1): Run {
  const random = seededRandom(seed);
  const live = new LiveState(llama.map((c) => c.endpoint.id));
  const pipeline = pipelineFromWeights(weights, regionPoolPicker(random));
  // Pending completions, kept sorted by time (a few dozen at a time).
  const pending: { at: number; run: () => void }[] = [];
  const schedule = (at: number, run: () => void) => {
    let i = pending.length;
    while (i > 0 && (pending[i - 1] as { at: number }).at > at) i--;
    pending.splice(i, 0, { at, run });
  };
  const reached: boolean[] = [];
  let secondAttempts = 0;
  let failed = 0;

  const attempt = (n: number, ranking: readonly Candidate[], from: number, now: number) => {
    for (let i = from; i < ranking.length; i++) {
      const candidate = ranking[i] as Candidate;
      const id = candidate.endpoint.id;
      if (!live.admit(id, START + now)) continue;
      if (from > 0) secondAttempts++;
      const done = live.begin(id);
      if (id === target) reached[n] = true;
      const faulty = id === target && now >= FAULT.from && now < FAULT.to && random() < 0.3;
      const ms = faulty ? 20 : 150 + 100 * random();
      schedule(now + ms, () => {
        done();
        if (faulty) {
          live.failed(id, START + now + ms);
          attempt(n, ranking, i + 1, now + ms);
        } else live.succeeded(id, ms, START + now + ms);
      });
      return;
    }
    failed++;
  };

  for (let n = 0; n < SECONDS * 100; n++) {
    const now = n * 10;
    while (pending.length > 0 && (pending[0] as { at: number }).at <= now) (pending.shift() as { run: () => void }).run();
    const plan = planRoute(pipeline, request, llama, live.view(START + now));
    if (!plan.ok) throw new Error(plan.reason);
    reached[n] = false;
    attempt(n, plan.ranked.map((s) => s.candidate), 0, now);
  }
  while (pending.length > 0) (pending.shift() as { run: () => void }).run();

  return {
    share: (from, to) => {
      const sent = reached.slice(from / 10, to / 10);
      return sent.filter(Boolean).length / sent.length;
    },
    secondAttempts,
    failed,
  };
}

const POLICY = { load: 1, latency: 1 }; // the chaos bench's policy

describe('an endpoint failing 30 % of its requests', () => {
  const summary = (r: Run) => ({
    before: r.share(3_000, FAULT.from),
    fault: r.share(FAULT.from, FAULT.to),
    /** The fault's last 20 s: once the scorer has caught on. */
    faultsLast20s: r.share(FAULT.to - 20_000, FAULT.to),
    last10s: r.share(50_000, 60_000),
    secondAttempts: r.secondAttempts,
    failed: r.failed,
  });
  for (const target of ['eu-west/llama-3.1-8b/0', 'us-east/llama-3.1-8b/pod-a']) {
    it(`${target}: its share falls while it fails and returns once it recovers`, () => {
      const seeds = [1, 2, 3];
      const without = seeds.map((seed) => summary(simulate({ ...POLICY, 'error-rate': 0 }, target, seed))); // the policy without the scorer
      const withIt = seeds.map((seed) => summary(simulate(POLICY, target, seed))); // error-rate at its default weight
      const sum = (runs: readonly ReturnType<typeof summary>[], pick: (r: ReturnType<typeof summary>) => number) => runs.reduce((t, r) => t + pick(r), 0);
      for (const [i, a] of withIt.entries()) {
        const b = without[i] as ReturnType<typeof summary>;
        // Healthy, the scorer changes nothing (it is left out while nothing fails).
        expect(a.before).toBe(b.before);
        expect(a.before).toBeGreaterThan(0.15);
        // A small share once the scorer has caught on, and back in rotation after the fault.
        expect(a.faultsLast20s).toBeLessThan(0.03);
        expect(a.last10s).toBeGreaterThan(0.5 * a.before);
        expect(a.failed + b.failed).toBe(0);
      }
      // Without it the breaker (≥ 50 % errors) opens only on a chance run of 5 failures: over the
      // seeds the endpoint keeps most of its share, and a failing request is sent twice far more often.
      expect(sum(without, (r) => r.fault)).toBeGreaterThan(3 * sum(withIt, (r) => r.fault));
      expect(sum(without, (r) => r.secondAttempts)).toBeGreaterThan(3 * sum(withIt, (r) => r.secondAttempts));
    });
  }
});
