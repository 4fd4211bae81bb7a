import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseFleet } from '../../../src/fleet/load.ts';
import { gpuShape } from '../../../infra/k8s/plan/gpus.ts';
import { estimatedLayers, fitOn, GIB, kvBytesPerToken, weightsBytes } from '../../../infra/k8s/plan/memory.ts';
import { planFleet } from '../../../infra/k8s/plan/plan-fleet.ts';
import { PROMPT_PROFILES, type PlanInput } from '../../../infra/k8s/plan/plan-input.ts';
import { fleetReport, matrixReport } from '../../../infra/k8s/plan/plan-report.ts';
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

describe('the decision matrix', () => {
  it.each([
    { name: '8B, steady, low traffic', over: { paramsB: 8, rps: 2 }, pattern: 1, gpus: 1 },
    { name: '8B, steady, high traffic', over: { paramsB: 8, rps: 40 }, pattern: 2, gpus: 1 },
    { name: '8B, bursty traffic', over: { paramsB: 8, rps: 40, traffic: 'bursty' as const }, pattern: 3, gpus: 1 },
    { name: '8B, variable traffic', over: { paramsB: 8, rps: 10, traffic: 'variable' as const }, pattern: 3, gpus: 1 },
    { name: '70B at FP16 on 80 GB GPUs', over: { paramsB: 70, precision: 'fp16' as const, gpu: gpuShape('h100', 80) }, pattern: 5, gpus: 4 },
    { name: '70B at FP8 on one 80 GB GPU leaves too little KV', over: { paramsB: 70, precision: 'fp8' as const }, pattern: 5, gpus: 2 },
    { name: '70B at FP8 fits one 141 GB H200', over: { paramsB: 70, precision: 'fp8' as const, gpu: gpuShape('h200') }, pattern: 1, gpus: 1 },
    {
      name: 'long prompts, tight TTFT and ITL, at scale',
      over: { paramsB: 8, rps: 20, ...PROMPT_PROFILES.long, ttftMs: 1000, itlMs: 50 },
      pattern: 4,
      gpus: 1,
    },
    {
      name: '70B, long prompts, tight TTFT and ITL, at scale',
      over: { paramsB: 70, rps: 20, ...PROMPT_PROFILES.long, ttftMs: 2000, itlMs: 50 },
      pattern: 4,
      gpus: 4,
    },
    { name: '405B at BF16: more than one node', over: { paramsB: 405 }, pattern: 5, gpus: 16 },
  ])('$name → pattern $pattern on $gpus GPU(s)', ({ over, pattern, gpus }) => {
    const r = recommend(input(over));
    expect(r.pattern).toBe(pattern);
    expect(r.sizing.fit?.gpus).toBe(gpus);
    expect(r.reason.length).toBeGreaterThan(20);
    expect(r.alternatives.map((a) => a.pattern).sort()).toEqual([1, 2, 3, 4, 5].filter((p) => p !== pattern));
    for (const a of r.alternatives) expect(a.whyNot.length).toBeGreaterThan(10);
  });

  it('puts a 405B model on two 8-GPU nodes: tensor parallel 8 × pipeline 2, the multi-node workerSpec case', () => {
    const r = recommend(input({ paramsB: 405 }));
    expect(r.sizing.fit).toMatchObject({ tensorParallel: 8, pipelineParallel: 2, gpus: 16 });
    expect(r.facts.multiNode).toBe(true);
    expect(r.reason).toContain('multi-node workerSpec');
  });

  it('sizes steady traffic as fixed replicas and bursty traffic as a pool that starts small', () => {
    const steady = recommend(input({ paramsB: 8, rps: 40 }));
    expect(steady.replicas.min).toBe(steady.replicas.max);
    expect(steady.replicas.min).toBeGreaterThan(1);
    const bursty = recommend(input({ paramsB: 8, rps: 40, traffic: 'bursty' }));
    expect(bursty.replicas.min).toBe(1);
    expect(bursty.replicas.max).toBeGreaterThan(steady.replicas.max);
  });

  it('explains why not disaggregate when prompts are short, and sizes both pools when it does', () => {
    const short = recommend(input({ paramsB: 8, rps: 20, ttftMs: 500, itlMs: 50 }));
    expect(short.alternatives.find((a) => a.pattern === 4)?.whyNot).toMatch(/prefill in ~\d+/);
    const long = recommend(input({ paramsB: 8, rps: 20, ...PROMPT_PROFILES.long, ttftMs: 1000, itlMs: 50 }));
    expect(long.pools?.prefill).toBeGreaterThan(0);
    expect(long.pools?.decode).toBeGreaterThan(0);
    expect(long.reason).toMatch(/longer than the 50 ms ITL target/);
  });

  it('layers scaling on top of tensor parallelism when traffic varies', () => {
    const r = recommend(input({ paramsB: 70, precision: 'fp16', traffic: 'bursty', rps: 20 }));
    expect(r.pattern).toBe(5);
    expect(r.combinedWith).toEqual([3]);
  });

  it('prints the decision matrix and the comparison table', () => {
    const text = matrixReport();
    expect(text).toContain('Decision matrix');
    expect(text).toMatch(/4\s+Disaggregated prefill\/decode\s+any/);
    expect(text).toContain('FAULT TOLERANCE');
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
    expect(p?.recommendation.pattern).toBe(4);
    expect(p?.assumptions).toEqual([]);
  });
});
