// What prefix-affinity routing costs per request on the CPU: the data producer (render the
// prompt's bytes, chain-hash up to 256 blocks) on long prompts, and planRoute over 8 endpoints
// with the prefix-affinity and load scorers. Pure CPU work, so it is timed on Node (on Workers,
// timers do not advance during computation).
import type { CompiledPrefixSharing } from '../../src/fleet/compiled.ts';
import { LiveState } from '../../src/route/live-state.ts';
import { pipelineFromWeights, planRoute } from '../../src/route/pipeline.ts';
import { requestPrefix, type PromptBody } from '../../src/route/prefix/request-prefix.ts';
import { regionPoolPicker } from '../../src/route/region-pool-picker.ts';
import { PREFIX_AFFINITY } from '../../src/route/scorers/prefix-affinity.ts';
import type { Candidate, RouteRequest } from '../../src/route/types.ts';
import { seededRandom } from '../../infra/local/sim/hash.ts';
import { median } from '../lib/stats.ts';
import { generateWorkload, promptMessages } from './workload.ts';

export interface CostCase {
  readonly name: string;
  readonly chars: number;
  /** Mean µs per call, the median of the timed runs. */
  readonly us: number;
}

const WEIGHTS = { [PREFIX_AFFINITY]: 3, load: 2 };

/** Mean µs per call of `f`, median over `runs` timed runs of `n` calls each (after a warm-up). */
function time(f: () => unknown, n: number, runs = 5): number {
  let sink = 0;
  for (let i = 0; i < n; i++) sink += f() === undefined ? 0 : 1;
  const samples: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) sink += f() === undefined ? 0 : 1;
    samples.push(((performance.now() - t0) / n) * 1000);
  }
  if (sink < 0) console.log(sink);
  return median(samples);
}

const charsOf = (body: PromptBody) => (body.messages ?? []).reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);

export function measureCost(candidates: readonly Candidate[], model: RouteRequest['model'], sharing: CompiledPrefixSharing): CostCase[] {
  const fleet = { routing: { weights: WEIGHTS }, prefixSharing: { [model.id]: sharing } };
  const producer = (body: PromptBody) => () => requestPrefix(fleet, model.id, body);
  const w = generateWorkload({ seed: 7, tenants: 1, systemTokens: [6_000, 6_000], conversationRate: 1, durationS: 30, turns: [6, 6], userTokens: [300, 300], outputTokens: [250, 250], thinkS: 1 });
  const c = w.conversations[0];
  const tenant = w.tenants[0];
  if (!c || !tenant) throw new Error('bench prefix: the cost workload has no conversation');
  const chat: PromptBody = { messages: promptMessages(tenant, c.turns, 5) };
  const long: PromptBody = { messages: [{ role: 'user', content: tenant.system.repeat(6).slice(0, 128_000) }] };
  const short: PromptBody = { messages: [{ role: 'user', content: 'What is the capital of France?' }] };
  const live = new LiveState(candidates.map((x) => x.endpoint.id));
  const pipeline = pipelineFromWeights(WEIGHTS, regionPoolPicker(seededRandom(1)));
  const request: RouteRequest = { model, key: {}, caller: undefined, prefix: requestPrefix(fleet, model.id, chat) };
  return [
    { name: `data producer: chat, 6k-token system prompt + 5 turns (${chat.messages?.length} messages)`, chars: charsOf(chat), us: time(producer(chat), 4_000) },
    { name: 'data producer: one 32k-token message (hashing stops at 256 blocks)', chars: charsOf(long), us: time(producer(long), 4_000) },
    { name: 'data producer: a short prompt (under minLength: no hashes)', chars: charsOf(short), us: time(producer(short), 100_000) },
    { name: `planRoute over ${candidates.length} endpoints (prefix-affinity 3 + load 2, hashes given)`, chars: 0, us: time(() => planRoute(pipeline, request, candidates, live.view(0)), 50_000) },
  ];
}
