import { DECISION_MATRIX } from './decision-matrix.ts';
import { PATTERN_IDS, PATTERNS, patternLabel, type PatternId } from './patterns.ts';
import type { ModelPlan } from './plan-fleet.ts';
import type { PlanInput } from './plan-input.ts';
import type { Recommendation } from './recommend.ts';
import { textTable } from './text-table.ts';

const fixed = (x: number, digits = 1) => {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
};
const range = (r: { min: number; max: number }, digits = 0) => (r.min === r.max ? fixed(r.min, digits) : `${fixed(r.min, digits)}..${fixed(r.max, digits)}`);
const patterns = (p: PatternId, also: readonly PatternId[]) => [p, ...also].join(' + ');

/** The decision matrix and the comparison table, as `infra plan --matrix` prints them. */
export function matrixReport(): string {
  const matrix = textTable(
    ['#', 'PATTERN', 'MODEL SIZE', 'TRAFFIC', 'LATENCY NEEDS'],
    DECISION_MATRIX.map((r) => [String(r.pattern), PATTERNS[r.pattern].name, r.modelSize, r.traffic, r.latency]),
  );
  const comparison = textTable(
    ['#', 'PATTERN', 'COMPLEXITY', 'SCALABILITY', 'COST EFFICIENCY', 'LATENCY', 'FAULT TOLERANCE', 'BEST FOR'],
    PATTERN_IDS.map((id) => {
      const p = PATTERNS[id];
      return [String(id), p.name, p.complexity, p.scalability, p.costEfficiency, p.latency, p.faultTolerance, p.bestFor];
    }),
  );
  return `Decision matrix (first matching row wins)\n\n${matrix}\n\nPattern comparison\n\n${comparison}\n`;
}

function describeInput(input: PlanInput): string {
  const latency = [input.ttftMs !== undefined ? `TTFT ≤ ${input.ttftMs} ms` : '', input.itlMs !== undefined ? `ITL ≤ ${input.itlMs} ms` : ''].filter(Boolean).join(', ');
  return [
    `${fixed(input.paramsB)}B at ${input.precision} on ${input.gpu.name} (${input.gpusPerNode} GPUs/node)`,
    `${input.traffic} traffic peaking at ${fixed(input.rps)} rps; prompts ~${input.promptTokens} → ${input.outputTokens} tokens; max-model-len ${input.maxModelLen}`,
    latency ? `targets: ${latency}` : 'no latency targets',
  ].join('; ');
}

function recommendationLines(r: Recommendation): string[] {
  const s = r.sizing;
  const fit = s.fit
    ? `${s.fit.gpus} GPU(s): TP ${s.fit.tensorParallel}${s.fit.pipelineParallel > 1 ? ` × PP ${s.fit.pipelineParallel}` : ''}, ${fixed(s.fit.weightsGiBPerGpu)} GiB weights + ${fixed(s.fit.kvGiBPerGpu)} GiB KV per GPU (${s.fit.kvTokens} KV tokens)`
    : 'no layout up to 8 nodes fits';
  return [
    `  recommended: ${patterns(r.pattern, r.combinedWith)}  ${PATTERNS[r.pattern].name}${r.combinedWith.length ? ` (+ ${r.combinedWith.map((p) => PATTERNS[p].name.toLowerCase()).join(', ')})` : ''}`,
    `  why:         ${r.reason}`,
    `  sizing:      weights ${fixed(s.weightsGiB)} GiB, KV ${fixed(s.kvKiBPerToken, 0)} KiB/token, ${s.kvTokensNeeded} KV tokens needed → ${fit}`,
    `  estimates:   ITL ~${fixed(s.itlMs)} ms, prefill ~${fixed(s.ttftMs, 0)} ms per prompt, ~${fixed(s.replicaRps)} rps per replica`,
    `  replicas:    ${range(r.replicas)}${r.pools ? ` decode, ${r.pools.prefill} prefill` : ''}`,
    ...r.notes.map((n) => `  note:        ${n}`),
    '  not chosen:',
    ...r.alternatives.map((a) => `    ${patternLabel(a.pattern).padEnd(32)} ${a.whyNot}`),
  ];
}

/** One recommendation for flags alone. */
export function standaloneReport(input: PlanInput, r: Recommendation): string {
  return [describeInput(input), '', ...recommendationLines(r), ''].join('\n');
}

/** A table of every model and region, then each model's reasoning. */
export function fleetReport(plans: readonly ModelPlan[]): string {
  const rows = plans.flatMap((p) =>
    p.regions.map((r) => [
      p.model,
      r.region,
      patterns(p.configured.pattern, p.configured.combinedWith),
      `${patterns(p.recommendation.pattern, p.recommendation.combinedWith)}${p.configured.pattern === p.recommendation.pattern ? '' : ' (differs)'}`,
      `${p.configured.gpusPerReplica} / ${p.recommendation.sizing.fit?.gpus ?? '?'}`,
      `${range(p.configured.replicas)} / ${range(p.recommendation.replicas)}`,
      r.configuredUsdPerHour && r.recommendedUsdPerHour ? `${range(r.configuredUsdPerHour, 2)} / ${range(r.recommendedUsdPerHour, 2)}` : '-',
    ]),
  );
  const table = textTable(['MODEL', 'REGION', 'CONFIGURED', 'RECOMMENDED', 'GPUS/REPLICA (cfg/rec)', 'REPLICAS (cfg/rec)', '$/HOUR (cfg/rec)'], rows);
  const details = plans.flatMap((p) => [
    '',
    `${p.model} (${p.kind}): ${describeInput(p.input)}`,
    `  configured:  ${patterns(p.configured.pattern, p.configured.combinedWith)}  ${PATTERNS[p.configured.pattern].name}, ${p.configured.gpusPerReplica} GPU(s)/replica, replicas ${range(p.configured.replicas)}`,
    ...recommendationLines(p.recommendation),
    ...p.assumptions.map((a) => `  assumed:     ${a}`),
  ]);
  return [table, ...details, ''].join('\n');
}
