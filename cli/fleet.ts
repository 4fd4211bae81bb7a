import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
import { antiPatterns } from '../infra/k8s/plan/anti-patterns.ts';
import { renderFleet } from '../infra/k8s/render/render-fleet.ts';
import { textTable } from '../infra/k8s/plan/text-table.ts';
import { undiciTransport } from '../node/undici-transport.ts';
import type { CompiledFleet } from '../src/fleet/compiled.ts';
import { probeFleet } from '../src/health/probe.ts';
import { loadFleetFile } from './fleet-file.ts';

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('validate and compile the fleet file');

  fleet
    .command('compile')
    .description('validate a fleet file and write the compiled form the Worker bundles')
    .requiredOption('--fleet <file>', 'fleet file (multi-document YAML)')
    .requiredOption('--out <file>', 'where to write the compiled JSON')
    .action((opts: { fleet: string; out: string }) => {
      const { compiled } = loadFleetFile(opts.fleet);
      mkdirSync(dirname(opts.out), { recursive: true });
      // Write then rename: wrangler's watcher and running tests never see a half-written file.
      const partial = `${opts.out}.${process.pid}.tmp`;
      writeFileSync(partial, `${JSON.stringify(compiled, null, 2)}\n`);
      renameSync(partial, opts.out);
      console.log(
        `fleet ${opts.fleet}: ${compiled.regions.length} regions, ${compiled.models.length} models, ${compiled.endpoints.length} endpoints → ${opts.out}`,
      );
    });

  fleet
    .command('check')
    .description("validate a fleet file, print what it routes, how each reference field is rendered (notes), and the reference's anti-patterns")
    .requiredOption('--fleet <file>', 'fleet file (multi-document YAML)')
    .option('--live', "also ask every endpoint which models it serves (its OpenAI /models route) and show declared against served")
    .option('--timeout-ms <ms>', 'per-server budget for --live', (v) => Number(v), 3_000)
    .action(async (opts: { fleet: string; live?: boolean; timeoutMs: number }) => {
      const { fleet: parsed, compiled } = loadFleetFile(opts.fleet);
      for (const m of compiled.models) {
        const eps = compiled.endpoints.filter((e) => e.model === m.id);
        console.log(`${m.id}${m.tier ? ` [${m.tier}${m.placement ? `, ${m.placement}` : ''}]` : ''} (${m.loadBalancing})`);
        for (const e of eps) console.log(`  ${e.region.padEnd(12)} ${e.baseUrl}`);
      }
      // How each field is rendered, and every one infra cannot render as written: said here, not
      // only at render time, once per note with the regions it holds in.
      const notes = new Map<string, string[]>();
      for (const r of renderFleet(parsed)) {
        for (const w of r.warnings) {
          const note = w.replace(` in ${r.region}:`, ':').replace(`${r.region}: `, '');
          notes.set(note, [...(notes.get(note) ?? []), r.region]);
        }
      }
      if (notes.size > 0) console.log(`\nnotes (${notes.size}):`);
      for (const [note, where] of notes) console.log(`  ${note} [${where.join(', ')}]`);
      // The secrets the gateway will look for, by name: one missing here is a region the gateway will not call.
      const unset = secretsNamed(compiled).filter((s) => !process.env[s.name]);
      if (unset.length > 0) console.log(`\nsecrets not set in this environment (${unset.length}):`);
      for (const s of unset) console.log(`  ${s.name} (${s.for}): requests there will be refused rather than sent without credentials; set it (on Workers: wrangler secret put ${s.name})`);
      const warnings = antiPatterns(parsed);
      if (warnings.length > 0) console.log(`\nanti-patterns (${warnings.length}):`);
      for (const w of warnings) console.log(`  ${w.id}: ${w.message}`);
      if (opts.live) console.log(`\n${await liveReport(compiled, opts.timeoutMs)}`);
    });

  return fleet;
}

/** Every secret the fleet names: regions' upstream tokens and SageMaker endpoints' AWS keys. */
function secretsNamed(compiled: CompiledFleet): { name: string; for: string }[] {
  const named = compiled.regions.flatMap((r) => (r.credentialsSecret ? [{ name: r.credentialsSecret, for: `region ${r.id}` }] : []));
  for (const e of compiled.endpoints) {
    const c = e.sagemaker?.credentials;
    if (c) for (const name of [c.accessKeyIdSecret, c.secretAccessKeySecret, c.sessionTokenSecret]) if (name) named.push({ name, for: `SageMaker endpoint ${e.id}` });
  }
  return named.filter((s, i) => named.findIndex((o) => o.name === s.name && o.for === s.for) === i);
}

/** Declared (the fleet) against served (each server's model list), per endpoint. Secrets come from the environment, by the regions' secret names. */
async function liveReport(compiled: CompiledFleet, timeoutMs: number): Promise<string> {
  const transport = undiciTransport({ connectMs: Math.min(timeoutMs, 3_000) });
  try {
    const regions = new Map(compiled.regions.map((r) => [r.id, r]));
    const snapshot = await probeFleet(compiled, transport, {
      timeoutMs,
      now: Date.now,
      credentialFor: (e) => {
        const secret = regions.get(e.region)?.credentialsSecret;
        return secret ? process.env[secret] : undefined;
      },
    });
    const rows = compiled.endpoints.map((e) => {
      const sample = snapshot.endpoints[e.id];
      if (!sample) return [e.model, e.region, e.id, 'not probed (SageMaker)', '-', ''];
      const served = sample.served === undefined ? 'unknown' : sample.served.includes(e.model) ? 'yes' : 'NO';
      const others = sample.served?.filter((id) => id !== e.model) ?? [];
      return [e.model, e.region, e.id, served, sample.healthy ? 'healthy' : 'DOWN', [sample.error ?? '', others.length > 0 ? `also serves ${others.join(', ')}` : ''].filter(Boolean).join('; ')];
    });
    const missing = rows.filter((r) => r[3] === 'NO').length;
    return `live (declared → served):\n${textTable(['MODEL', 'REGION', 'ENDPOINT', 'SERVED', 'HEALTH', 'DETAIL'], rows)}\n${missing === 0 ? 'every probed endpoint serves what the fleet declares' : `${missing} endpoint(s) do not serve the model the fleet declares: routing skips them`}`;
  } finally {
    await transport.close();
  }
}
