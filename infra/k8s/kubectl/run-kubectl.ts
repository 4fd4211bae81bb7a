import { spawn } from 'node:child_process';

/**
 * Runs kubectl — or whatever $KUBECTL names (tests point it at a stand-in that records its
 * arguments). Output is collected, and optionally passed on line by line as it arrives, so a
 * long `apply` shows progress.
 */
export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  binary: string;
  run(args: readonly string[], onLine?: (line: string) => void): Promise<KubectlResult>;
}

export class KubectlError extends Error {
  override name = 'KubectlError';
}

export const kubectlBinary = (env: NodeJS.ProcessEnv = process.env): string => env['KUBECTL'] || 'kubectl';

export function kubectl(env: NodeJS.ProcessEnv = process.env): Kubectl {
  const binary = kubectlBinary(env);
  return {
    binary,
    run: (args, onLine) =>
      new Promise((resolve, reject) => {
        const child = spawn(binary, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        let pending = '';
        const forward = (chunk: string, final = false) => {
          if (!onLine) return;
          pending += chunk;
          const lines = pending.split('\n');
          pending = final ? '' : (lines.pop() ?? '');
          for (const line of lines) if (line !== '' || !final) onLine(line);
        };
        child.stdout.setEncoding('utf8').on('data', (c: string) => {
          stdout += c;
          forward(c);
        });
        child.stderr.setEncoding('utf8').on('data', (c: string) => {
          stderr += c;
          forward(c);
        });
        child.on('error', (error: NodeJS.ErrnoException) => {
          reject(
            error.code === 'ENOENT'
              ? new KubectlError(`kubectl not found: "${binary}" ${binary.includes('/') ? 'does not exist' : 'is not on PATH'}. Install kubectl, or set KUBECTL=/path/to/kubectl.`)
              : new KubectlError(`cannot run ${binary}: ${error.message}`),
          );
        });
        child.on('close', (code) => {
          forward('', true);
          resolve({ code: code ?? 1, stdout, stderr });
        });
      }),
  };
}
