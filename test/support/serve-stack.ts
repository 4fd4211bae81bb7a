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
  stop(): Promise<void>;
}

/** `extraArgs` go to `switchyard serve` (e.g. `--probe-interval 0`, so only live traffic judges the endpoints). */
export async function startServeStack(extraEnv: Record<string, string> = {}, extraArgs: readonly string[] = []): Promise<ServeStack> {
  const services = await startProcess(['test/support/services-process.ts'], /^\{.*\}$/);
  const info = JSON.parse(services.match[0]) as Services;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-'));
  const fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, info.fleetYaml);
  let gateway: Started & { match: RegExpExecArray };
  try {
    gateway = await startProcess(['cli/main.ts', 'serve', '--fleet', fleetFile, '--port', '0', '--keys-file', join(dir, 'none.json'), ...extraArgs], /switchyard gateway on (http:\/\/\S+)/, {
      env: { ...process.env, ...info.secrets, SWITCHYARD_KEYS: JSON.stringify(info.keys.records), ...extraEnv },
    });
  } catch (error) {
    await services.stop();
    throw error;
  }
  return {
    info,
    url: gateway.match[1] ?? '',
    stop: async () => {
      await gateway.stop();
      await services.stop();
    },
  };
}
