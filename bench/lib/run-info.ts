// What a results section says about where and on what code it was measured.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { ROOT } from './children.ts';

/** Cores, CPU, memory, OS and the Node that ran the benchmark. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Which gateway code was measured: the commit, and whether the gateway's folders had uncommitted changes. */
export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'node', 'cli', 'workers', 'infra/local/sim'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    return dirty > 0 ? `commit ${head} + uncommitted changes (${dirty} files in src/ node/ cli/ workers/ infra/local/sim/)` : `commit ${head}`;
  } catch {
    return 'unknown (no git)';
  }
}

/** The 1-minute load average (NaN where the OS has none). */
export const loadAverage = (): number => os.loadavg()[0] ?? Number.NaN;
