import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFleet } from '../../../src/fleet/load.ts';
import { gpuShape } from '../../../infra/k8s/plan/gpus.ts';
import { estimatedLayers, fitOn, GIB, kvBytesPerToken, weightsBytes } from '../../../infra/k8s/plan/memory.ts';
import { planFleet } from '../../../infra/k8s/plan/plan-fleet.ts';
import { PROMPT_PROFILES, type PlanInput } from '../../../infra/k8s/plan/plan-input.ts';
import { fleetReport, matrixReport, useCaseReport } from '../../../infra/k8s/plan/plan-report.ts';
import { DECISION_MATRIX, matrixCell, SIZE_CLASSES, sizeClass, TRAFFIC_PATTERNS, type Traffic } from '../../../infra/k8s/plan/decision-matrix.ts';
import type { PatternId, UseCase } from '../../../infra/k8s/plan/patterns.ts';
import { recommend } from '../../../infra/k8s/plan/recommend.ts';

const input = (over: Partial<PlanInput> & { paramsB: number }): PlanInput => ({
  precision: 'bf16',
  gpu: gpuShape('h100'),
  gpusPerNode: 8,
  traffic: 'steady',
  rps: 1,
  ...PROMPT_PROFILES.mixed,
  maxModelLen: 8192,
  ...over,
});

describe('memory math', () => {
  it('counts weights as parameters × bytes per parameter', () => {
    expect(weightsBytes(8, 'bf16')).toBe(16e9);
    expect(weightsBytes(70, 'fp8')).toBe(70e9);
    expect(weightsBytes(405, 'int4')).toBe(202.5e9);
  });

  it.each([
    [8, 32, 128],
    [70, 80, 320],
    [405, 126, 504],
  ])('estimates %sB as %i layers, %i KiB of KV per token (Llama 3.1: 8 KV heads × 128, 16-bit)', (paramsB, layers, kib) => {
    expect(estimatedLayers(paramsB)).toBe(layers);
    expect(kvBytesPerToken(paramsB) / 1024).toBe(kib);
  });

  it('leaves 90 % of each GPU minus 2 GiB for weights and KV', () => {
    const fit = fitOn(2, 1, weightsBytes(70, 'fp16'), kvBytesPerToken(70), 40_960, 80);
    expect(fit.weightsGiBPerGpu * 2 * GIB).toBeCloseTo(140e9, -3);
    expect(fit.kvGiBPerGpu).toBeCloseTo(80 * 0.9 - 2 - 140e9 / 2 / GIB, 6);
    expect(fit.fits).toBe(false); // 70B at 16 bits on two 80 GB GPUs: only ~31k tokens of KV
  });
});

describe("the reference's decision matrix, cell by cell", () => {
  // Every size class × every traffic value; the boundaries at 7B and 30B on both sides.
  // A size where the memory math agrees with the matrix (fits one 80 GB GPU below 30B at bf16,
  // needs several above), so the recommendation is the matrix's own answer.
  it.each<[number, Traffic, PatternId[], 'matrix' | 'comparison']>([
    [3, 'sporadic', [1], 'matrix'],
    [3, 'steady', [2], 'matrix'],
    [3, 'variable', [3], 'comparison'],
    [3, 'high', [4], 'comparison'],
    [3, 'any', [3], 'comparison'],
    [6.9, 'sporadic', [1], 'matrix'],
    [7, 'sporadic', [1], 'comparison'],
    [7, 'steady', [2], 'comparison'],
    [7, 'variable', [3], 'matrix'],
    [7, 'high', [4], 'matrix'],
    [7, 'any', [3], 'comparison'],
    [13, 'variable', [3], 'matrix'],
    [30, 'variable', [3], 'matrix'],
    [30, 'high', [4], 'matrix'],
    [30.5, 'variable', [5, 4], 'matrix'],
    [70, 'sporadic', [5, 4], 'matrix'],
    [70, 'steady', [5, 4], 'matrix'],
    [70, 'variable', [5, 4], 'matrix'],
    [70, 'high', [5, 4], 'matrix'],
    [70, 'any', [5, 4], 'matrix'],
  ])('%sB × %s → the matrix says %j (%s)', (paramsB, traffic, patterns, source) => {
    const cell = matrixCell(paramsB, traffic);
    expect(cell.patterns).toEqual(patterns);
    expect(cell.source).toBe(source);
  });

  it('has exactly one cell per size class and traffic value, and the five branches the document draws', () => {
    expect(DECISION_MATRIX).toHaveLength(SIZE_CLASSES.length * TRAFFIC_PATTERNS.length);
    const branches = DECISION_MATRIX.filter((c) => c.source === 'matrix' && !(c.size === '> 30B' && c.traffic !== 'any')).map((c) => [c.size, c.traffic, c.patterns.join('+')]);
    expect(branches).toEqual([
      ['< 7B', 'sporadic', '1'],
      ['< 7B', 'steady', '2'],
      ['7B - 30B', 'variable', '3'],
      ['7B - 30B', 'high', '4'],
      ['> 30B', 'any', '5+4'],
    ]);
  });

  it.each([
    [6.99, '< 7B'],
    [7, '7B - 30B'],
    [30, '7B - 30B'],
    [30.01, '> 30B'],
  ])('puts %sB in %s', (paramsB, size) => expect(sizeClass(paramsB)).toBe(size));
});

describe('the recommendation: the matrix first, then the memory fit', () => {
  it.each<[string, Partial<PlanInput> & { paramsB: number }, PatternId, PatternId[], number | undefined]>([
    ['3B, sporadic', { paramsB: 3, traffic: 'sporadic' }, 1, [], 1],
    ['3B, steady', { paramsB: 3, traffic: 'steady', rps: 40 }, 2, [], 1],
    ['13B, variable', { paramsB: 13, traffic: 'variable', rps: 10 }, 3, [], 1],
    ['13B, high', { paramsB: 13, traffic: 'high', rps: 40 }, 4, [], 1],
    ['70B at bf16, any traffic: tensor parallel + disaggregated', { paramsB: 70, traffic: 'any' }, 5, [4, 3], 4],
    ['70B at bf16, steady: tensor parallel + disaggregated', { paramsB: 70, traffic: 'steady' }, 5, [4], 4],
    ['30B at bf16 on 48 GB GPUs, variable: the matrix says 3, but it needs 2 GPUs', { paramsB: 30, traffic: 'variable', gpu: gpuShape('h100', 48) }, 3, [5], 2],
    ['34B at int4 fits one GPU: disaggregated without tensor parallelism', { paramsB: 34, precision: 'int4', traffic: 'high' }, 4, [], 1],
    ['405B at bf16: more than one node', { paramsB: 405, traffic: 'high' }, 5, [4], 16],
  ])('%s', (_what, over, pattern, combinedWith, gpus) => {
    const r = recommend(input(over));
    expect(r.pattern).toBe(pattern);
    expect(r.combinedWith).toEqual(combinedWith);
    expect(r.sizing.fit?.gpus).toBe(gpus);
    for (const a of r.alternatives) expect(a.whyNot.length).toBeGreaterThan(10);
    expect(r.alternatives.map((a) => a.pattern)).toEqual([1, 2, 3, 4, 5].filter((p) => p !== pattern && !combinedWith.includes(p as PatternId)));
  });

  it('says what the matrix says, then why the memory changes it', () => {
    const r = recommend(input({ paramsB: 30, traffic: 'variable', gpu: gpuShape('h100', 48) }));
    expect(r.reason).toMatch(/^the matrix says 3 Auto-scaling \(7B - 30B, variable traffic\); at bf16 this 30B model is 55\.9 GiB of weights plus KV for \d+ tokens: it needs 2 GPUs \(TP 2\) of 48 GiB, so 3 Auto-scaling \+ 5 Tensor Parallel/);
    const drop = recommend(input({ paramsB: 34, precision: 'int4', traffic: 'high' }));
    expect(drop.refinements.join(' ')).toMatch(/fits one 80 GiB GPU: .*5 dropped/);
  });

  it('names the comparison matrix when the decision matrix has no such branch', () => {
    expect(recommend(input({ paramsB: 3, traffic: 'high' })).reason).toMatch(/the matrix has no high branch for < 7B; the comparison row for high traffic \(any size\) is Disaggregated/);
  });

  it('puts a 405B model on two 8-GPU nodes: tensor parallel 8 × pipeline 2, the multi-node workerSpec case', () => {
    const r = recommend(input({ paramsB: 405 }));
    expect(r.sizing.fit).toMatchObject({ tensorParallel: 8, pipelineParallel: 2, gpus: 16 });
    expect(r.facts.multiNode).toBe(true);
    expect(r.notes.join(' ')).toContain('multi-node workerSpec');
  });

  it('sizes steady traffic as fixed replicas and variable traffic as a pool that starts small', () => {
    const steady = recommend(input({ paramsB: 3, rps: 40, traffic: 'steady' }));
    expect(steady.replicas.min).toBe(steady.replicas.max);
    expect(steady.replicas.min).toBeGreaterThan(1);
    const variable = recommend(input({ paramsB: 3, rps: 40, traffic: 'variable' }));
    expect(variable.replicas.min).toBeLessThan(variable.replicas.max);
    expect(variable.replicas.max).toBeGreaterThan(steady.replicas.max);
  });

  it('sizes both pools of a disaggregated recommendation', () => {
    const r = recommend(input({ paramsB: 13, traffic: 'high', rps: 20 }));
    expect(r.pools?.prefill).toBeGreaterThan(0);
    expect(r.pools?.decode).toBeGreaterThan(0);
  });

  it('adds disaggregation beyond the matrix when long prompts would stall decode under latency targets', () => {
    const r = recommend(input({ paramsB: 8, traffic: 'steady', rps: 20, ...PROMPT_PROFILES.long, ttftMs: 1000, itlMs: 50 }));
    expect([r.pattern, ...r.combinedWith]).toEqual([2, 4]);
    expect(r.refinements.join(' ')).toMatch(/longer than the 50 ms ITL target/);
  });
});

describe('the printed tables', () => {
  const text = matrixReport();

  it('prints every size × traffic cell, marking the ones the comparison matrix answers', () => {
    expect(text).toMatch(/< 7B\s+1\s+2\s+3\*\s+4\*\s+3\*/);
    expect(text).toMatch(/7B - 30B\s+1\*\s+2\*\s+3\s+4\s+3\*/);
    expect(text).toMatch(/> 30B\s+5 \+ 4\s+5 \+ 4\s+5 \+ 4\s+5 \+ 4\s+5 \+ 4/);
  });

  it("prints the document's comparison matrix: all eight patterns, its columns, the $ scale", () => {
    for (const [n, name, size, traffic, latency, cost, complexity] of [
      [1, 'Single Instance', '< 7B', 'Low', 'Medium', '\\$', 'Low'],
      [2, 'Replicated', '< 13B', 'Medium', 'Low', '\\$\\$', 'Low'],
      [3, 'Auto-scaling', '< 30B', 'Variable', 'Low', '\\$\\$\\$', 'Medium'],
      [4, 'Disaggregated', 'Any', 'High', 'Very Low', '\\$\\$\\$', 'High'],
      [5, 'Tensor Parallel', '> 30B', 'Any', 'Medium', '\\$\\$\\$\\$', 'High'],
      [6, 'Hybrid Multi-Tier', 'Mixed', 'High', 'Variable', '\\$\\$\\$\\$', 'Very High'],
      [7, 'Federation', 'Any', 'Global', 'Low', '\\$\\$\\$\\$\\$', 'Very High'],
      [8, 'Caching-First', 'Any', 'Repeated', 'Very Low', '\\$\\$', 'Medium'],
    ] as const) {
      expect(text).toMatch(new RegExp(`${n}\\s+${name}\\s+${size}\\s+${traffic}\\s+${latency}\\s+${cost}\\s+${complexity}\\s`));
    }
    expect(text).toContain('MODEL SIZE');
    expect(text).toContain('COMPLEXITY');
  });

  it.each<[UseCase, string]>([
    ['chatbot', 'Chatbot \\(chatbot\\)\\s+3 Auto-scaling\\s+Low latency'],
    ['batch', 'Batch Processing \\(batch\\)\\s+2 Replicated\\s+High throughput'],
    ['realtime', 'Real-time API \\(realtime\\)\\s+4 Disaggregated\\s+Consistent latency'],
    ['research', 'Research \\(research\\)\\s+1 Single Instance\\s+Cost efficiency'],
    ['enterprise', 'Enterprise \\(enterprise\\)\\s+6 Hybrid Multi-Tier\\s+Flexibility'],
  ])('maps --use-case %s as the use-case table does', (useCase, row) => {
    const report = useCaseReport(useCase);
    expect(report).toMatch(new RegExp(row));
    expect(report.split('\n').filter((l) => /\(\w+\)\s+\d /.test(l))).toHaveLength(1);
    expect(report).toContain('in Switchyard:');
  });
});

describe('plan for the fleet file', () => {
  const fleet = parseFleet(readFileSync('infra/fleet.yaml', 'utf8'), 'infra/fleet.yaml');
  const plans = planFleet(fleet, { gpu: gpuShape(), gpusPerNode: 8, prompt: 'mixed' });

  it('plans every model, in every region it is served, from its resources and args', () => {
    expect(plans.map((p) => [p.model, p.regions.map((r) => r.region)])).toEqual([
      ['llama-3.1-8b', ['us-east', 'eu-west', 'apac']],
      ['qwen2.5-32b', ['us-east', 'eu-west']],
      ['llama-3.1-70b', ['us-east']],
    ]);
    expect(plans.map((p) => [p.input.paramsB, p.configured.pattern, p.configured.gpusPerReplica])).toEqual([
      [8, 3, 1],
      [32, 5, 2],
      [70, 4, 4],
    ]);
    expect(plans[0]?.input.traffic).toBe('variable'); // min 2 < max 8
    expect(plans[0]?.assumptions.join(' ')).toContain('--traffic');
  });

  it("prices each region's configured and recommended layouts from its GPU-hour price", () => {
    const us = plans[2]?.regions[0];
    // 4 decode pods + 2 prefill pods, 4 GPUs each, at $2.49 per GPU-hour.
    expect(us?.configuredUsdPerHour?.min).toBeCloseTo(24 * 2.49, 6);
  });

  it('prints one row per model and region', () => {
    const text = fleetReport(plans);
    expect(text.split('\n').filter((l) => /^(llama|qwen)\S*\s+(us-east|eu-west|apac)/.test(l))).toHaveLength(6);
  });

  it('takes the traffic and latency from flags when the fleet does not say', () => {
    const [p] = planFleet(fleet, { gpu: gpuShape(), gpusPerNode: 8, prompt: 'long', traffic: 'steady', rps: 30, ttftMs: 2000, itlMs: 40 }, 'llama-3.1-70b');
    expect([p?.recommendation.pattern, ...(p?.recommendation.combinedWith ?? [])]).toEqual([5, 4]);
    expect(p?.assumptions).toEqual([]);
  });
});
