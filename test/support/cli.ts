// Runs the real `switchyard` entry as a child process, with a clean environment: no Upstash
// and no gateway variables leak in from the shell running the tests.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function switchyard(args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const { UPSTASH_REDIS_REST_URL: _url, UPSTASH_REDIS_REST_TOKEN: _token, SWITCHYARD_GATEWAY_URL: _gateway, SWITCHYARD_ADMIN_KEY: _admin, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run('node_modules/.bin/node', ['cli/main.ts', ...args], { env: { ...inherited, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
