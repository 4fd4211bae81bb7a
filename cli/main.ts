import { Command, CommanderError } from 'commander';
import { FleetError } from '../src/fleet/load.ts';
import { classifyCommand } from './classify.ts';
import { fleetCommand } from './fleet.ts';
import { infraCommand } from './infra.ts';
import { keysCommand } from './keys.ts';
import { serveCommand } from './serve.ts';
import { simCommand } from './sim.ts';
import { tenantsCommand } from './tenants.ts';
import { usageCommand } from './usage.ts';

// One entry, one subcommand per file: each cli/<name>.ts exports a commander Command.
const program = new Command('switchyard')
  .description('Edge gateway for self-hosted LLM inference')
  .showHelpAfterError()
  .exitOverride()
  .addCommand(fleetCommand())
  .addCommand(infraCommand())
  .addCommand(classifyCommand())
  .addCommand(keysCommand())
  .addCommand(tenantsCommand())
  .addCommand(usageCommand())
  .addCommand(serveCommand())
  .addCommand(simCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  // Expected failures (bad fleet, unreachable store, bad flags) print one clear message, no stack.
  console.error(error instanceof FleetError || error instanceof Error ? error.message : String(error));
  process.exit(1);
}
