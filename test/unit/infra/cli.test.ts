// `switchyard infra …` as a user runs it: exit codes and what is printed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realCrds } from './crds.ts';

const cli = (...args: string[]) => spawnSync(process.execPath, ['cli/main.ts', 'infra', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('switchyard infra', () => {
  it('plan: standalone from flags, as JSON', () => {
    const run = cli('plan', '--params', '70', '--precision', 'fp16', '--gpu-memory', '80', '--traffic', 'steady', '--rps', '2', '--json');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout) as { recommendation: { pattern: number; sizing: { fit: { gpus: number } } } };
    expect(out.recommendation.pattern).toBe(5);
    expect(out.recommendation.sizing.fit.gpus).toBe(4);
  });

  it('plan: the fleet file, one row per model and region', () => {
    const run = cli('plan', '--fleet', 'infra/fleet.yaml', '--rps', '5');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^MODEL\s+REGION\s+CONFIGURED\s+RECOMMENDED/);
    expect(run.stdout).toContain('llama-3.1-70b  us-east');
  });

  it('render then validate: exit 0, no errors', () => {
    const out = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    const render = cli('render', '--fleet', 'infra/fleet.yaml', '--out', out);
    expect(render.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['apac', 'eu-west', 'us-east']);
    realCrds(); // fail with the clear message if the CRDs are missing
    const validate = cli('validate', out, '--quiet');
    expect(validate.stdout).toContain('ok: 0 error(s)');
    expect(validate.status).toBe(0);
  }, 30_000);

  it('plan --matrix --use-case: every matrix cell, the comparison matrix, and the use-case row', () => {
    const run = cli('plan', '--matrix');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/MODEL SIZE\s+SPORADIC\s+STEADY\s+VARIABLE\s+HIGH\s+ANY/);
    expect(run.stdout).toMatch(/8\s+Caching-First\s+Any\s+Repeated\s+Very Low\s+\$\$\s+Medium/);
    const chatbot = cli('plan', '--use-case', 'chatbot');
    expect(chatbot.stdout).toMatch(/Chatbot \(chatbot\)\s+3 Auto-scaling\s+Low latency/);
    expect(cli('plan', '--use-case', 'gaming').status).not.toBe(0);
  });

  it('plan --params: the matrix first, then the memory fit', () => {
    const run = cli('plan', '--params', '70', '--traffic', 'variable');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/matrix:\s+5 \+ 4\s+Tensor Parallel \+ Disaggregated \(> 30B × variable\)/);
    expect(run.stdout).toMatch(/why:\s+the matrix says 5 Tensor Parallel \+ 4 Disaggregated \(> 30B, variable traffic\); at bf16 this 70B model/);
  });

  it('plan on a fleet warns of the reference anti-patterns', () => {
    const run = cli('plan', '--fleet', 'infra/fleet.yaml');
    expect(run.stdout).toContain('anti-pattern (single-region): llama-3.1-70b: served in us-east only');
  });

  it('validate: exit 1 with file, line, field and message for each error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\nmetadata: { name: bad }\nspec:\n  predictor:\n    scaleMetric: gpu\n');
    const run = cli('validate', file);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`error: ${file}:6 InferenceService/bad: spec.predictor.scaleMetric: must be one of "cpu", "memory", "concurrency", "rps"`);
    expect(run.stdout).toContain('FAILED: 1 error(s)');
  });

  it('validate: a missing CRD folder is a clear error', () => {
    const run = cli('validate', 'infra/fleet.yaml', '--crds', '/nonexistent/crds');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('CRD folder not found: /nonexistent/crds (from --crds)');
  });
});
