import type { PatternId } from './patterns.ts';
import type { Facts } from './sizing.ts';

/**
 * The decision matrix: model size × traffic × latency needs → pattern. Rows are tried in
 * order; the first whose `when` holds is the recommendation. Order matters: disaggregation is a
 * latency fix that also covers models needing tensor parallelism (each pool is itself tensor
 * parallel), and a model that does not fit one GPU needs tensor parallelism whatever the traffic.
 */
export interface DecisionRow {
  pattern: PatternId;
  modelSize: string;
  traffic: string;
  latency: string;
  when: (facts: Facts) => boolean;
}

export const DECISION_MATRIX: readonly DecisionRow[] = [
  {
    pattern: 4,
    modelSize: 'any',
    traffic: 'more than one replica of load',
    latency: 'long prompts with tight TTFT and ITL targets',
    when: (f) => f.longPrompts && f.latencyTargets && f.prefillStallsDecode && f.atScale,
  },
  {
    pattern: 5,
    modelSize: 'larger than one GPU (weights + KV headroom)',
    traffic: 'any',
    latency: 'any',
    when: (f) => !f.fitsOneGpu,
  },
  {
    pattern: 3,
    modelSize: 'fits one GPU',
    traffic: 'variable or bursty',
    latency: 'tolerates scale-up cold starts',
    when: (f) => f.variableTraffic,
  },
  {
    pattern: 2,
    modelSize: 'fits one GPU',
    traffic: 'steady, more than one replica of load',
    latency: 'relaxed',
    when: (f) => f.atScale,
  },
  {
    pattern: 1,
    modelSize: 'fits one GPU',
    traffic: 'steady, one replica of load',
    latency: 'relaxed',
    when: () => true,
  },
];
