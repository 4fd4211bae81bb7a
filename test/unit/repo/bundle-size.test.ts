// The Worker bundle does not grow: one esbuild build with wrangler's settings
// (bench/lib/worker-bundle.ts; `npm run bench -- bundle` checks it against `wrangler deploy
// --dry-run`, against issue 14's 150 KiB target, and breaks the bytes down). Growing past
// BUNDLE_GZIP_CEILING (the target) fails CI here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_GZIP_CEILING, BUNDLE_GZIP_TARGET, buildWorkerBundle, type WorkerBundle } from '../../../bench/lib/worker-bundle.ts';
import { loadFleetFile } from '../../../cli/fleet-file.ts';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

describe('the Worker bundle', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'switchyard-bundle-test-'));
  let bundle: WorkerBundle;

  beforeAll(async () => {
    bundle = await buildWorkerBundle(outdir, { fleetJson: JSON.stringify(loadFleetFile('infra/fleet.yaml').compiled) });
  }, 120_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('does not grow past its ceiling (gzip, minified, SageMaker backend included)', () => {
    const top = bundle.contributors.slice(0, 8).map((c) => `${c.name} ${kib(c.bytes)}`).join(', ');
    expect(bundle.gzip, `${kib(bundle.gzip)} gzip (${kib(bundle.raw)} raw; target ${kib(BUNDLE_GZIP_TARGET)}); largest: ${top}. npm run bench -- bundle breaks it down`).toBeLessThanOrEqual(BUNDLE_GZIP_CEILING);
  });

  it('carries the SageMaker backend (the budget is for every backend), signed and decoded with smithy, not the whole AWS SDK client', () => {
    const names = bundle.contributors.map((c) => c.name);
    expect(names).toContain('src/backends/sagemaker');
    expect(names).toContain('@smithy/signature-v4');
    expect(names).toContain('@smithy/core');
    expect(names.filter((n) => n.startsWith('@aws-sdk/'))).toEqual([]);
  });

  it('does not carry full zod: the request path validates with zod/mini, the fleet is validated at build time', () => {
    const inputs = Object.values(bundle.metafile.outputs).flatMap((o) => Object.keys(o.inputs));
    expect(inputs.filter((i) => /node_modules\/zod\/v4\/classic\//.test(i))).toEqual([]);
    expect(inputs.filter((i) => /\/src\/fleet\/(schema|load)\.ts$/.test(i))).toEqual([]);
  });
});
