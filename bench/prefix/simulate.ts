// One routing policy over one workload, in simulated time: a gateway (the real routing code and
// LiveState, fed by the simulated engines) in front of N simulated vLLM engines.
import { GENERATE } from '../../src/api/openai-endpoints.ts';
import { seededRandom } from '../../infra/local/sim/hash.ts';
import type { SimProfile } from '../../infra/local/sim/latency-model.ts';
import type { CompiledModel, CompiledPrefixSharing, CompiledRegion } from '../../src/fleet/compiled.ts';
import type { LoadBalancer } from '../../src/fleet/schema.ts';
import type { HealthSnapshot } from '../../src/health/snapshot.ts';
import { LiveState } from '../../src/route/live-state.ts';
import { planRoute } from '../../src/route/pipeline.ts';
import { requestPrefix } from '../../src/route/prefix/request-prefix.ts';
import type { Candidate, RouteRequest } from '../../src/route/types.ts';
import { percentile } from '../lib/stats.ts';
import { SimEngine } from './engine.ts';
import { EventQueue } from './events.ts';
import type { Policy } from './policies.ts';
import { promptIds, promptMessages, type Conversation, type Tenant, type Workload } from './workload.ts';

export const MODEL_ID = 'llama-3.1-8b';

export interface SimOptions {
  readonly endpoints: number;
  readonly profile: SimProfile;
  readonly sharing: CompiledPrefixSharing;
  /** Requests arriving before this are not measured (caches and queues warm up). */
  readonly warmupS: number;
  /** Gateway isolates, each with its own in-flight counts; a request lands on one at random. */
  readonly isolates: number;
  /** A health prober snapshot (waiting, running, KV usage) every this many ms; 0 = none. */
  readonly probeMs: number;
  readonly seed: number;
}

export interface PolicyResult {
  readonly policyId: string;
  /** Requests that arrived in the measured window. */
  readonly requests: number;
  /** …of which not served: no route (every endpoint saturated) or refused (queue full). */
  readonly failed: number;
  readonly hitRate: number;
  readonly ttftP50Ms: number;
  readonly ttftP90Ms: number;
  readonly ttftP99Ms: number;
  /** Output tokens per second released during the measured window. */
  readonly throughput: number;
  /** Simulated seconds until the last request finished. */
  readonly drainedS: number;
  /** Share of each endpoint in the window's requests, the largest. */
  readonly maxShare: number;
  readonly events: number;
  readonly wallMs: number;
}

const REGION: CompiledRegion = {
  id: 'bench',
  residency: 'bench',
  location: { latitude: 0, longitude: 0, continent: 'EU' },
  pricing: { inputPerMillionTokensUsd: 0, outputPerMillionTokensUsd: 0 },
};

/** The simulated pool: `n` endpoints of one model in one region, as the fleet compiler would list them. */
export function benchCandidates(n: number): Candidate[] {
  return Array.from({ length: n }, (_, i) => ({
    endpoint: { id: `${REGION.id}/${MODEL_ID}/${i}`, model: MODEL_ID, region: REGION.id, baseUrl: `http://sim-${i}/v1`, pathStyle: 'v1', weight: 1, backend: 'vllm' },
    region: REGION,
  }));
}

export const benchModel = (loadBalancing: LoadBalancer): CompiledModel => ({
  id: MODEL_ID,
  aliases: [],
  capabilities: [...GENERATE],
  loadBalancing,
  source: { kind: 'InferenceService', name: MODEL_ID, namespace: 'llm' },
});

export function simulate(workload: Workload, policy: Policy, o: SimOptions): PolicyResult {
  const started = performance.now();
  const clock = new EventQueue();
  const random = seededRandom(o.seed);
  const candidates = benchCandidates(o.endpoints);
  const engines = new Map(candidates.map((c) => [c.endpoint.id, new SimEngine(c.endpoint.id, o.profile, clock)]));
  let current: readonly number[] = [];
  const routing = policy.build({ random, engines, currentPrompt: () => current });
  const model = benchModel(routing.loadBalancing);
  const fleet = { routing: { weights: routing.weights }, prefixSharing: { [MODEL_ID]: o.sharing } } as const;
  const isolates = Array.from({ length: o.isolates }, () => new LiveState(engines.keys()));

  let snapshot: HealthSnapshot | undefined;
  const durationMs = workload.params.durationS * 1000;
  const warmupMs = o.warmupS * 1000;
  if (o.probeMs > 0) {
    const probe = (): void => {
      const endpoints: HealthSnapshot['endpoints'] = {};
      for (const [id, e] of engines) {
        endpoints[id] = { healthy: true, waiting: e.scheduler.waiting, running: e.scheduler.running, kvCacheUsage: e.kv.usage(), checkedAt: clock.now };
      }
      snapshot = { takenAt: clock.now, endpoints };
      if (clock.now + o.probeMs < durationMs) clock.at(clock.now + o.probeMs, probe);
    };
    clock.at(0, probe);
  }

  const ttfts: number[] = [];
  const perEndpoint = new Map<string, number>();
  let requests = 0;
  let failed = 0;
  let promptTokens = 0;
  let cachedTokens = 0;
  let windowTokens = 0;
  let lastDone = 0;

  const send = (c: Conversation, k: number): void => {
    const arrival = clock.now;
    if (arrival >= durationMs) return;
    const measured = arrival >= warmupMs;
    const tenant = workload.tenants[c.tenant] as Tenant;
    const turn = c.turns[k];
    if (!turn) return;
    const prompt = promptIds(tenant, c.turns, k);
    current = prompt;
    const body = { messages: promptMessages(tenant, c.turns, k) };
    const request: RouteRequest = { model, key: {}, caller: undefined, prefix: requestPrefix(fleet, MODEL_ID, body) };
    const live = isolates[o.isolates === 1 ? 0 : Math.floor(random() * o.isolates)] as LiveState;
    const plan = planRoute(routing.pipeline, request, candidates, live.view(arrival, snapshot));
    if (measured) requests++;
    const next = (): void => {
      if (k + 1 < c.turns.length) clock.at(clock.now + turn.thinkMs, () => send(c, k + 1));
    };
    if (!plan.ok) {
      if (measured) failed++;
      next();
      return;
    }
    // As the forwarder does: try the ranked candidates in order while they refuse (429).
    for (const scored of plan.ranked) {
      const id = scored.candidate.endpoint.id;
      const engine = engines.get(id) as SimEngine;
      const end = live.begin(id);
      const result = engine.submit({
        promptIds: prompt,
        outputTokens: turn.outputTokens,
        onStart: (cached) => {
          if (!measured) return;
          promptTokens += prompt.length;
          cachedTokens += cached;
        },
        onFirstToken: () => {
          live.succeeded(id, clock.now - arrival, clock.now);
          if (measured) ttfts.push(clock.now - arrival);
        },
        onToken: () => {
          if (clock.now >= warmupMs && clock.now < durationMs) windowTokens++;
        },
        onDone: () => {
          end();
          lastDone = clock.now;
          next();
        },
      });
      if (result === 'admitted' || result === 'queued') {
        if (measured) perEndpoint.set(id, (perEndpoint.get(id) ?? 0) + 1);
        return;
      }
      end();
      live.saturated(id, clock.now, null);
    }
    if (measured) failed++;
    next();
  };

  for (const c of workload.conversations) clock.at(c.startMs, () => send(c, 0));
  clock.run();

  const served = requests - failed;
  return {
    policyId: policy.id,
    requests,
    failed,
    hitRate: promptTokens > 0 ? cachedTokens / promptTokens : 0,
    ttftP50Ms: percentile(ttfts, 50),
    ttftP90Ms: percentile(ttfts, 90),
    ttftP99Ms: percentile(ttfts, 99),
    throughput: windowTokens / ((durationMs - warmupMs) / 1000),
    drainedS: lastDone / 1000,
    maxShare: served > 0 ? Math.max(...perEndpoint.values()) / served : 0,
    events: clock.processed,
    wallMs: performance.now() - started,
  };
}
