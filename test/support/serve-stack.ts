// The end-to-end stack most e2e files start: the simulated federation (its own process) and
// `switchyard serve` in front of it (its own process), the test keys seeded into the gateway.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../workers/global-setup.ts';
import { startProcess, type Started } from './processes.ts';

export interface ServeStack {
  info: Services;
  /** The gateway's base URL (no path). */
  url: string;
  /** The `switchyard serve` process (its output, its pid). */
  gateway: Started;
  stop(): Promise<void>;
}

export interface ServeStackOptions {
  /** Flags for the gateway's Node (e.g. `--expose-gc`, `--inspect=127.0.0.1:0`). */
  nodeFlags?: readonly string[];
  /** Changes the federation's fleet file before the gateway reads it (e.g. a larger body limit). */
  editFleet?: (yaml: string) => string;
}

/** `extraArgs` go to `switchyard serve` (e.g. `--probe-interval 0`, so only live traffic judges the endpoints). */
export async function startServeStack(extraEnv: Record<string, string> = {}, extraArgs: readonly string[] = [], options: ServeStackOptions = {}): Promise<ServeStack> {
  const services = await startProcess(['test/support/services-process.ts'], /^\{.*\}$/);
  const info = JSON.parse(services.match[0]) as Services;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, options.editFleet ? options.editFleet(info.fleetYaml) : info.fleetYaml);
  let gateway: Started & { match: RegExpExecArray };
  try {
    gateway = await startProcess([...(options.nodeFlags ?? []), 'cli/main.ts', 'serve', '--fleet', fleetFile, '--port', '0', '--keys-file', join(dir, 'none.json'), ...extraArgs], /switchyard gateway on (http:\/\/\S+)/, {
      env: { ...process.env, ...info.secrets, SWITCHYARD_KEYS: JSON.stringify(info.keys.records), ...extraEnv },
    });
  } catch (error) {
    await services.stop();
    throw error;
  }
  return {
    info,
    gateway,
    url: gateway.match[1] ?? '',
    stop: async () => {
      await gateway.stop();
      await services.stop();
    },
  };
}
