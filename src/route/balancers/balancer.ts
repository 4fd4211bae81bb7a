import type { LoadBalancer } from '../../fleet/schema.ts';
import type { Candidate, RouteState } from '../types.ts';
import { CONSISTENT_HASH, consistentHash } from './consistent-hash.ts';
import { LEAST_CONNECTIONS, leastConnections } from './least-connections.ts';
import { P2C_EWMA, p2cEwma } from './p2c-ewma.ts';
import { ROUND_ROBIN, roundRobin } from './round-robin.ts';
import { WEIGHTED_ROUND_ROBIN, weightedRoundRobin } from './weighted-round-robin.ts';

export interface BalanceContext {
  /** `state.endpoint(id)` gives inflight, peak-EWMA latency, health, breaker, saturation. */
  readonly state: RouteState;
  /** `x-session-id`, else the OpenAI `user` field. */
  readonly sessionKey: string | undefined;
  /** Injectable so tests are reproducible. */
  readonly random: () => number;
}

/**
 * Orders the endpoints of one pool (one model in one region). One instance per pool lives for
 * the isolate's life, so any state it keeps is bounded by the pool's size.
 */
export interface Balancer {
  readonly type: LoadBalancer;
  /** Orders one pool: the first is the pick, the rest are fallbacks in preference order. Never drops a candidate. */
  order(pool: readonly Candidate[], ctx: BalanceContext): Candidate[];
}

/** Every load balancer a model may name in the fleet (`switchyard.dev/load-balancing`). */
export const BALANCERS = {
  [ROUND_ROBIN]: roundRobin,
  [LEAST_CONNECTIONS]: leastConnections,
  [WEIGHTED_ROUND_ROBIN]: weightedRoundRobin,
  [CONSISTENT_HASH]: consistentHash,
  [P2C_EWMA]: p2cEwma,
} satisfies Record<LoadBalancer, () => Balancer>;
