import { join } from 'node:path';
import type { Fleet } from '../../../src/fleet/load.ts';
import type { RegionDoc } from '../../../src/fleet/schema.ts';
import { renderRegion } from '../render/render-fleet.ts';
import type { RenderOptions } from '../render/render-options.ts';
import { createSecretCommand, upstreamSecret } from '../render/upstream-secret.ts';
import { writeRegion } from '../render/write-manifests.ts';
import type { CrdCatalog } from '../validate/crd-catalog.ts';
import { formatFinding, validateFiles } from '../validate/validate-manifests.ts';
import type { Consent } from './consent.ts';
import { applyArgs, secretArgs, shellLine, type DryRun } from './kubectl-argv.ts';
import { checkContext, checkKubectl } from './preflight.ts';
import { stepper, type Io } from './progress.ts';
import { KubectlError, type Kubectl } from './run-kubectl.ts';

export interface ApplyRequest {
  fleet: Fleet;
  region: string;
  /** Where the region's manifests are rendered: <outDir>/<region>/. */
  outDir: string;
  options: RenderOptions;
  dryRun?: DryRun;
  /** Offline CRD validation before anything reaches the cluster; undefined skips it (said so). */
  catalog?: CrdCatalog;
  confirm: (question: string) => Promise<Consent>;
}

export type ApplyOutcome = 'applied' | 'dry-run' | 'refused';

export function regionOf(fleet: Fleet, id: string): RegionDoc & { spec: { kubeContext: string } } {
  const region = fleet.regions.find((r) => r.metadata.name === id);
  if (!region) throw new Error(`no Region "${id}" in ${fleet.source} (regions: ${fleet.regions.map((r) => r.metadata.name).join(', ')})`);
  if (!region.spec.kubeContext) throw new Error(`Region "${id}" has no spec.kubeContext: infra does not know which cluster it is`);
  return region as RegionDoc & { spec: { kubeContext: string } };
}

/**
 * `infra apply --region R`: check kubectl and the context, render, validate, ask, apply, then
 * check the upstream key Secret. Each step prints one numbered line; any failure stops before
 * the cluster is touched. Without consent (or with --dry-run) nothing is applied.
 */
export async function applyRegion(req: ApplyRequest, k: Kubectl, io: Io): Promise<ApplyOutcome> {
  const region = regionOf(req.fleet, req.region);
  const context = region.spec.kubeContext;
  const step = stepper(io, 6);

  step('kubectl', `${k.binary} (${await checkKubectl(k)})`);
  await checkContext(k, context, req.region);
  step('context', `${context} found in kubeconfig`);

  const rendered = renderRegion(req.fleet, region, req.options);
  const files = writeRegion(req.outDir, rendered);
  const dir = join(req.outDir, req.region);
  step('render', `${rendered.files.length} manifest files → ${dir}${rendered.warnings.length ? ` (${rendered.warnings.length} warnings in NOTES.md)` : ''}`);

  if (req.catalog) {
    const findings = validateFiles(files.filter((f) => /\.ya?ml$/.test(f)), req.catalog);
    const errors = findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) {
      for (const f of errors) io.err(formatFinding(f));
      throw new Error(`${errors.length} manifest(s) fail validation against ${req.catalog.dir}: nothing applied`);
    }
    step('validate', `every manifest matches the CRDs in ${req.catalog.dir}`);
  } else {
    step('validate', 'skipped: no CRD folder (the API server validates on apply; --crds DIR to check offline first)');
  }

  const args = applyArgs(context, dir, req.dryRun);
  if (!req.dryRun) {
    const consent = await req.confirm(`Apply ${rendered.files.length} files to context ${context} (namespaces ${rendered.namespaces.join(', ')})?`);
    if (!consent.granted) {
      step('apply', `not applied: ${consent.why}`);
      io.out(`  to apply: ${shellLine(k.binary, args)}`);
      return 'refused';
    }
  }
  step('apply', `${shellLine(k.binary, args)}${req.dryRun ? ` (dry run: nothing changes)` : ''}`);
  const applied = await k.run(args, (line) => io.out(`      ${line}`));
  if (applied.code !== 0) throw new KubectlError(`kubectl apply failed (exit ${applied.code})${req.dryRun === 'server' ? ': a server dry run needs the CRDs installed and the namespaces to exist' : ''}`);

  const secret = upstreamSecret(region);
  if (!secret) {
    step('upstream key', `Region ${req.region} has no credentials.secretName: vLLM runs without an API key`);
  } else {
    const missing: string[] = [];
    for (const ns of rendered.namespaces) {
      const r = await k.run(secretArgs(context, ns, secret.name));
      if (r.code !== 0) missing.push(ns);
    }
    if (missing.length === 0) step('upstream key', `Secret ${secret.name} present in ${rendered.namespaces.join(', ')}`);
    else {
      step('upstream key', `Secret ${secret.name} missing in ${missing.join(', ')}: model pods wait for it. Create it (same value as the edge's ${secret.edgeSecret}):`);
      for (const ns of missing) io.out(`      ${createSecretCommand(secret, ns, context)}`);
    }
  }
  return req.dryRun ? 'dry-run' : 'applied';
}
