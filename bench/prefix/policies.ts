// The routing policies the prefix benchmark compares. Every one runs the gateway's real routing
// code (planRoute with the real filters, scorers, region-pool picker and balancers); only
// "random" and the oracle bring their own picker, because the gateway has no such thing.
import type { LoadBalancer } from '../../src/fleet/schema.ts';
import { pipelineFromWeights, type Pipeline } from '../../src/route/pipeline.ts';
import { regionPoolPicker } from '../../src/route/region-pool-picker.ts';
import { LOAD_BOUND, openToAffinity, PREFIX_AFFINITY, prefixAffinityScorer } from '../../src/route/scorers/prefix-affinity.ts';
import type { Picker, Scored } from '../../src/route/types.ts';
import type { SimEngine } from './engine.ts';

export interface PolicyContext {
  readonly random: () => number;
  readonly engines: ReadonlyMap<string, SimEngine>;
  /** Token ids of the request being routed (only the oracle may look). */
  readonly currentPrompt: () => readonly number[];
}

export interface Routing {
  readonly pipeline: Pipeline;
  readonly loadBalancing: LoadBalancer;
  /** The routing policy's weights, as the data producer (requestPrefix) reads them. */
  readonly weights: Readonly<Record<string, number>>;
}

export interface Policy {
  readonly id: string;
  readonly label: string;
  /** How it is built, for the results notes. */
  readonly how: string;
  /** Shown below the main comparison: an ablation, not one of the six policies. */
  readonly extra?: boolean;
  build(ctx: PolicyContext): Routing;
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const randomPicker = (random: () => number): Picker => ({ type: 'random', pick: (scored) => shuffled(scored, random) });

/**
 * Knows every engine's exact prefix cache: most cached prompt tokens first, then fewest in
 * flight, then at random. With `bound`, the endpoints the prefix-affinity scorer's own rule
 * closes (openToAffinity: over the bound and queueing) go after the open ones.
 */
const oraclePicker = (ctx: PolicyContext, bound?: number): Picker => ({
  type: 'oracle',
  pick: (scored, state) => {
    const prompt = ctx.currentPrompt();
    const pool = shuffled(scored, ctx.random);
    const open = bound === undefined ? pool.map(() => true) : openToAffinity(pool.map((s) => s.candidate), state, bound);
    const keyed = pool.map((s: Scored, i) => ({
      s,
      open: open[i] === true,
      cached: ctx.engines.get(s.candidate.endpoint.id)?.kv.lookup(prompt) ?? 0,
      load: state.endpoint(s.candidate.endpoint.id).inflight,
    }));
    keyed.sort((a, b) => Number(b.open) - Number(a.open) || b.cached - a.cached || a.load - b.load);
    return keyed.map((k) => k.s);
  },
});

const weighted = (weights: Record<string, number>, loadBalancing: LoadBalancer) => (ctx: PolicyContext): Routing => ({
  pipeline: pipelineFromWeights(weights, regionPoolPicker(ctx.random)),
  loadBalancing,
  weights,
});

export const POLICIES: readonly Policy[] = [
  {
    id: 'random',
    label: 'random',
    how: 'a picker that shuffles the candidates',
    build: (ctx) => ({ pipeline: pipelineFromWeights({}, randomPicker(ctx.random)), loadBalancing: 'round-robin', weights: {} }),
  },
  { id: 'round-robin', label: 'round robin', how: 'no scorer; balancer `round-robin`', build: weighted({}, 'round-robin') },
  { id: 'least-load', label: 'least load', how: 'no scorer; balancer `least-connections` (in-flight requests)', build: weighted({}, 'least-connections') },
  {
    id: 'prefix',
    label: 'prefix affinity',
    how: `the ${PREFIX_AFFINITY} scorer without its load bound (c = ∞): always the prefix's rendezvous home`,
    build: (ctx) => {
      const base = pipelineFromWeights({}, regionPoolPicker(ctx.random));
      return {
        pipeline: { ...base, scorers: [{ scorer: prefixAffinityScorer({ loadBound: Number.POSITIVE_INFINITY }), weight: 1 }] },
        loadBalancing: 'round-robin',
        weights: { [PREFIX_AFFINITY]: 1 },
      };
    },
  },
  {
    id: 'prefix-load',
    label: 'prefix affinity + load',
    how: `weights { ${PREFIX_AFFINITY}: 3, load: 2 } (llm-d's prefix : queue weights), the scorer as registered (bounded load, c = ${LOAD_BOUND}); balancer \`least-connections\``,
    build: weighted({ [PREFIX_AFFINITY]: 3, load: 2 }, 'least-connections'),
  },
  {
    id: 'oracle',
    label: 'oracle',
    how: "a picker that reads every engine's KV cache: most cached prompt tokens, ties to the fewest in flight",
    build: (ctx) => ({ pipeline: pipelineFromWeights({}, oraclePicker(ctx)), loadBalancing: 'round-robin', weights: {} }),
  },
  {
    id: 'oracle-load',
    label: 'oracle + bounded load',
    how: `the oracle, but only among the endpoints the scorer's bounded-load rule leaves open (c = ${LOAD_BOUND}): a precise, load-aware router`,
    extra: true,
    build: (ctx) => ({ pipeline: pipelineFromWeights({}, oraclePicker(ctx, LOAD_BOUND)), loadBalancing: 'round-robin', weights: {} }),
  },
  {
    id: 'prefix-load-125',
    label: 'prefix affinity + load, c = 1.25',
    how: "as prefix affinity + load, with the load balancers' usual bound c = 1.25 instead",
    extra: true,
    build: (ctx) => {
      const base = pipelineFromWeights({ load: 2 }, regionPoolPicker(ctx.random));
      return {
        pipeline: { ...base, scorers: [{ scorer: prefixAffinityScorer({ loadBound: 1.25 }), weight: 3 }, ...base.scorers] },
        loadBalancing: 'least-connections',
        weights: { [PREFIX_AFFINITY]: 3, load: 2 },
      };
    },
  },
];
