import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command } from 'commander';
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
    .description('validate a fleet file and print what it routes')
    .requiredOption('--fleet <file>', 'fleet file (multi-document YAML)')
    .action((opts: { fleet: string }) => {
      const { compiled } = loadFleetFile(opts.fleet);
      for (const m of compiled.models) {
        const eps = compiled.endpoints.filter((e) => e.model === m.id);
        console.log(`${m.id}${m.tier ? ` [${m.tier}]` : ''} (${m.loadBalancing})`);
        for (const e of eps) console.log(`  ${e.region.padEnd(12)} ${e.baseUrl}`);
      }
    });

  return fleet;
}
