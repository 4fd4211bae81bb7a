// Child processes for end-to-end tests: started with the project's Node 24, stopped for sure.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const NODE = 'node_modules/.bin/node';

export interface Started {
  child: ChildProcess;
  /** Everything the process printed, for assertions and failure messages. */
  output: string[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a process and resolves once a line of its stdout matches `ready`. */
export async function startProcess(
  args: string[],
  ready: RegExp,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Started & { match: RegExpExecArray }> {
  const child = spawn(NODE, args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (l) => output.push(l));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready within ${options.timeoutMs ?? 30_000} ms:\n${output.join('\n')}`)), options.timeoutMs ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited (${code}) before ready:\n${output.join('\n')}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const m = ready.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    // A child killed by a signal has signalCode set and exitCode null.
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { child, output, stop, match };
}
