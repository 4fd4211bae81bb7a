import { DECISION_MATRIX, SIZE_CLASSES, TRAFFIC_PATTERNS } from './decision-matrix.ts';
import { PATTERN_IDS, PATTERNS, patternLabel, USE_CASES, USE_CASE_NAMES, type PatternId, type UseCase } from './patterns.ts';
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
const named = (ps: readonly PatternId[]) => ps.map((p) => PATTERNS[p].name).join(' + ');

/** The decision matrix (every size × traffic cell), the Pattern Comparison Matrix and the use-case table, as `infra plan --matrix` prints them. */
export function matrixReport(): string {
  const matrix = textTable(
    ['MODEL SIZE', ...TRAFFIC_PATTERNS.map((t) => t.toUpperCase())],
    SIZE_CLASSES.map((size) => [
      size,
      ...TRAFFIC_PATTERNS.map((traffic) => {
        const cell = DECISION_MATRIX.find((c) => c.size === size && c.traffic === traffic);
        return cell ? `${cell.patterns.join(' + ')}${cell.source === 'comparison' ? '*' : ''}` : '-';
      }),
    ]),
  );
  const comparison = textTable(
    ['#', 'PATTERN', 'MODEL SIZE', 'TRAFFIC', 'LATENCY', 'COST', 'COMPLEXITY', 'IN SWITCHYARD'],
    PATTERN_IDS.map((id) => {
      const p = PATTERNS[id];
      return [String(id), p.name, p.modelSize, p.traffic, p.latency, p.cost, p.complexity, p.switchyard];
    }),
  );
  return [
    'Pattern decision matrix (model size × traffic)',
    '',
    matrix,
    '',
    '* not a branch of the decision matrix: answered from the comparison matrix below',
    '',
    'Pattern comparison matrix',
    '',
    comparison,
    '',
    'Optimize for your use case (--use-case)',
    '',
    useCaseTable(),
    '',
  ].join('\n');
}

function useCaseTable(only?: UseCase): string {
  return textTable(
    ['USE CASE', 'RECOMMENDED PATTERN', 'KEY OPTIMIZATION'],
    USE_CASE_NAMES.filter((u) => only === undefined || u === only).map((u) => {
      const c = USE_CASES[u];
      return [`${c.name} (${u})`, patternLabel(c.pattern), c.optimization];
    }),
  );
}

/** `infra plan --use-case X`: the document's row, and what Switchyard does for that pattern. */
export function useCaseReport(useCase: UseCase): string {
  const c = USE_CASES[useCase];
  return [useCaseTable(useCase), '', `${patternLabel(c.pattern)} in Switchyard: ${PATTERNS[c.pattern].switchyard}`, ''].join('\n');
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
    `  matrix:      ${patterns(r.matrix.patterns[0], r.matrix.patterns.slice(1))}  ${named(r.matrix.patterns)} (${r.matrix.size} × ${r.matrix.traffic}${r.matrix.source === 'comparison' ? `; ${r.matrix.why}` : ''})`,
    `  recommended: ${patterns(r.pattern, r.combinedWith)}  ${named([r.pattern, ...r.combinedWith])}`,
    `  why:         ${r.reason}`,
    `  sizing:      weights ${fixed(s.weightsGiB)} GiB, KV ${fixed(s.kvKiBPerToken, 0)} KiB/token, ${s.kvTokensNeeded} KV tokens needed → ${fit}`,
    `  estimates:   ITL ~${fixed(s.itlMs)} ms, prefill ~${fixed(s.ttftMs, 0)} ms per prompt, ~${fixed(s.replicaRps)} rps per replica`,
    `  replicas:    ${range(r.replicas)}${r.pools ? ` decode, ${r.pools.prefill} prefill` : ''}`,
    ...r.notes.map((n) => `  note:        ${n}`),
    '  not chosen:',
    ...r.alternatives.map((a) => `    ${patternLabel(a.pattern).padEnd(22)} ${a.whyNot}`),
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
