import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { classifyLine, classifyStream } from '../../../cli/classify.ts';

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
