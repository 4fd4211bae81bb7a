// `npm test`: compile the fleet the Worker bundles, type-check, run every vitest project,
// and end with the plain line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = (name: string) => join('node_modules', '.bin', name);
const step = (label: string, cmd: string, args: string[]) => {
  const run = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
  return { label, ok: run.status === 0 };
};

const extra = process.argv.slice(2);
const steps = [
  step('fleet compile', bin('node'), ['cli/main.ts', 'fleet', 'compile', '--fleet', 'infra/fleet.yaml', '--out', 'workers/fleet.generated.json']),
  step('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.json']),
  step('typecheck (workers)', bin('tsc'), ['-p', 'tsconfig.workers.json']),
];

const report = join(mkdtempSync(join(tmpdir(), 'switchyard-test-')), 'vitest.json');
spawnSync(bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra], {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
});

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, 'utf8')) as {
    numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number;
    testResults: { status: string; assertionResults: { status: string }[] }[];
  };
  // A file that failed with none of its tests failing (it did not load, or a hook threw) is one more failure.
  const brokenFiles = result.testResults.filter(
    (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
  ).length;
  passed = result.numPassedTests;
  failed = result.numFailedTests + brokenFiles;
  skipped = result.numPendingTests + result.numTodoTests;
} catch {
  console.error('vitest wrote no JSON report: counting the whole run as one failure');
  failed += 1;
}
for (const s of steps) {
  if (s.ok) passed += 1;
  else {
    failed += 1;
    console.error(`step failed: ${s.label}`);
  }
}
if (skipped > 0) console.log(`${skipped} tests skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
