import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classifyLine, classifyStream } from '../../../cli/classify.ts';
import { FEATURE_NAMES } from '../../../src/classify/features.ts';
import { SHIPPED_WEIGHTS } from '../../../src/classify/shipped-weights.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const NODE = join(ROOT, 'node_modules', '.bin', 'node');

const INPUT = [
  JSON.stringify({ messages: [{ role: 'user', content: 'What is the capital of France?' }] }),
  JSON.stringify({ prompt: 'Write a Python function that merges two sorted lists.' }),
  '{"messages": [oops',
  JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }], min_quality: 0.95, max_latency_ms: 100 }),
  '',
  JSON.stringify({ model: 'auto' }),
  JSON.stringify({ prompt: 'Hi', min_quality: 7 }),
].join('\n');

async function collect(input: string): Promise<{ lines: Record<string, unknown>[]; failed: number }> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (c: Buffer) => chunks.push(c));
  const failed = await classifyStream(Readable.from([input]), output);
  output.end();
  const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, failed };
}

function run(args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(NODE, ['cli/main.ts', 'classify', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

function expectOutput(lines: Record<string, unknown>[]): void {
  expect(lines).toHaveLength(6); // the blank line is skipped
  const [trivial, code, broken, hinted, noText, badHint] = lines;
  expect(trivial).toMatchObject({ tier: expect.any(String), signals: [] });
  expect(trivial?.score).toBeGreaterThanOrEqual(0);
  expect(trivial?.score).toBeLessThanOrEqual(1);
  expect(code?.signals).toContain('code');
  expect(code?.score).toBeGreaterThan(trivial?.score as number);
  expect(broken?.error).toMatch(/^line 3: invalid JSON/);
  // The reference's rules: a 300 ms budget is not under 100 ms, and a 0.95 quality need is not under 0.8.
  expect(hinted).toMatchObject({ tier: 'large', route: 'quality=0.95>=0.8->central' });
  expect(noText?.error).toBe('line 6: (root): needs "messages" or "prompt"');
  expect(badHint?.error).toMatch(/^line 7: min_quality/);
}

describe('switchyard classify', () => {
  it('turns each line into a profile or an error, in order, and counts the failures', async () => {
    const { lines, failed } = await collect(INPUT);
    expectOutput(lines);
    expect(failed).toBe(3);
  });

  it('adds the feature vector on request', () => {
    const { ok, json } = classifyLine('{"prompt":"Solve 3x + 5 = 20"}', 1, { features: true });
    expect(ok).toBe(true);
    expect(JSON.parse(json).features).toMatchObject({ math: expect.any(Number), promptTokens: expect.any(Number) });
  });

  it('explains each score on request: the bias and every scored feature\'s contribution add up to it', () => {
    const request = {
      messages: [
        { role: 'user', content: 'Fix this:\n```js\nlet x = 1\n```' },
        { role: 'assistant', content: 'Done.' },
        { role: 'user', content: 'Now as JSON.' },
      ],
      response_format: { type: 'json_schema' },
    };
    const { ok, json } = classifyLine(JSON.stringify(request), 1, { explain: true });
    expect(ok).toBe(true);
    const line = JSON.parse(json) as {
      score: number;
      tokens: number;
      explain: { bias: number; logit: number; contributions: { feature: string; value: number; weight: number; contribution: number }[] };
    };
    expect(Number.isInteger(line.tokens)).toBe(true);
    const { bias, logit, contributions } = line.explain;
    expect(contributions.map((c) => c.feature)).toEqual(expect.arrayContaining(['promptTokens', 'codeBlocks', 'depth', 'structuredOutput']));
    expect(contributions.find((c) => c.feature === 'depth')?.value).toBe(2);
    expect(bias + contributions.reduce((z, c) => z + c.contribution, 0)).toBeCloseTo(logit, 3);
    expect(1 / (1 + Math.exp(-logit))).toBeCloseTo(line.score, 3);
    // Without the flag the line stays as it was.
    expect(JSON.parse(classifyLine(JSON.stringify(request), 1).json)).not.toHaveProperty('explain');
  });

  it('explains every detected feature, the unscored ones (the task-structure cues among them) with weight and contribution 0', () => {
    const request = { messages: [{ role: 'user', content: 'Answer in JSON:\n1. trace f\n2. sum 3 + 4\n[PYTHON]\ndef f(x):\n    for i in x:\n        if i:\n            return i\n[/PYTHON]' }] };
    const line = JSON.parse(classifyLine(JSON.stringify(request), 1, { explain: true }).json) as {
      explain: { contributions: { feature: string; value: number; weight: number; contribution: number }[] };
    };
    const { contributions } = line.explain;
    expect(contributions.map((c) => c.feature).sort()).toEqual([...FEATURE_NAMES].sort());
    const shipped = new Map(SHIPPED_WEIGHTS.features.map((f) => [f.name, f.weight]));
    for (const c of contributions) {
      expect(c.weight).toBeCloseTo(shipped.get(c.feature as (typeof FEATURE_NAMES)[number]) ?? Number.NaN, 4);
      if (c.weight === 0) expect(c.contribution).toBe(0);
    }
    const value = (feature: string) => contributions.find((c) => c.feature === feature)?.value;
    // def/for/if/return; indents 4, 8, 12; "1." "2."; json; 1, 2, 3, 4 and one operation
    expect([value('codeConstructs'), value('codeNesting'), value('subtasks'), value('formatDemands'), value('quantities')]).toEqual([4, 3, 2, 1, 5]);
  });

  it('runs as a subcommand: JSONL out, exit code 1 when a line failed', async () => {
    const { code, stdout, stderr } = await run([], INPUT);
    expect(stderr).toBe('');
    expectOutput(stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
    expect(code).toBe(1);
  }, 20_000);

  it('streams: answers a line before the input ends', async () => {
    const child = spawn(NODE, ['cli/main.ts', 'classify'], { cwd: ROOT });
    const first = new Promise<string>((done) => child.stdout.once('data', (c: Buffer) => done(c.toString())));
    child.stdin.write(`${JSON.stringify({ prompt: 'Hello' })}\n`);
    expect(JSON.parse(await first)).toMatchObject({ tier: expect.any(String) });
    const exit = new Promise((done) => child.on('close', done));
    child.stdin.end();
    expect(await exit).toBe(0);
  }, 20_000);

  it('prints the explanation per line with --explain, errors unchanged', async () => {
    const { code, stdout } = await run(['--explain'], INPUT);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(code).toBe(1);
    expect(lines.filter((l) => 'explain' in l)).toHaveLength(3);
    expect(lines.filter((l) => 'error' in l)).toHaveLength(3);
    for (const l of lines.filter((x) => 'explain' in x)) expect(l.explain).toMatchObject({ bias: expect.any(Number), logit: expect.any(Number), contributions: expect.any(Array) });
  }, 20_000);

  it('exits 0 when every line classifies, and applies custom rules from --rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-classify-'));
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ strategy: 'scored', tiers: ['edge', 'central'], scoreThresholds: [0.99], latencyBudgets: [], qualityFloors: [] }));
    const { code, stdout } = await run(['--rules', rules], `${JSON.stringify({ prompt: 'Hello there' })}\n`);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ tier: 'edge', route: expect.stringMatching(/^score=[\d.]+<0\.99$/) });
  }, 20_000);

  it('refuses invalid rules with a message naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-classify-'));
    const rules = join(dir, 'rules.json');
    writeFileSync(rules, JSON.stringify({ scoreThresholds: [0.9, 0.1] }));
    const { code, stderr } = await run(['--rules', rules], '');
    expect(code).not.toBe(0);
    expect(stderr).toContain('scoreThresholds.1: thresholds must be ascending');
  }, 20_000);
});
