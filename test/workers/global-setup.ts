// Runs on Node before the workerd tests: starts the simulated federation and a real
// redis-server behind the Upstash REST bridge (in a child process, see services-process.ts)
// and hands their addresses to the tests.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';
import type { KeyRecord } from '../../src/auth/api-keys.ts';
import type { CompiledFleet } from '../../src/fleet/compiled.ts';

export interface Services {
  fleet: CompiledFleet;
  fleetYaml: string;
  secrets: Record<string, string>;
  simUrls: Record<string, string>;
  /** `other`: a key of another tenant (globex); the rest are acme's. */
  keys: { any: string; eu: string; revoked: string; other: string; records: KeyRecord[] };
  redis: { url: string; token: string; key: string };
}

declare module 'vitest' {
  export interface ProvidedContext extends Services {}
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const child = spawn('node_modules/.bin/node', ['test/support/services-process.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const services = await new Promise<Services>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`test services exited early (code ${code})`)));
    createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line) as Services));
  });
  for (const [name, value] of Object.entries(services) as [keyof Services, Services[keyof Services]][]) {
    project.provide(name, value as never);
  }
  return async () => {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
}
