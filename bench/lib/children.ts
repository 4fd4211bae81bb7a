// Child processes of a benchmark: each one in its own process group (so a tool that forks,
// like wrangler → workerd, goes down as a whole), all stopped at the end, on failure and on
// Ctrl-C. A benchmark calls `stopAll()` in `finally`; signals and a last-resort `exit` hook
// cover the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = (name: string) => resolve(ROOT, 'node_modules', '.bin', name);
/** Node 24 from the `node` devDependency: it runs the project's TypeScript by type stripping. */
export const NODE = BIN('node');

export interface Child {
  readonly label: string;
  readonly proc: ChildProcess;
  /** The command line, for the results file. */
  readonly command: string;
  /** Resolves with the first stdout/stderr line matching `pattern` (its match). */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Last lines of output, for error messages. */
  tail(): string;
}

const children: Child[] = [];
let hooksInstalled = false;
let interruptedBy: NodeJS.Signals | undefined;

/** The signal that interrupted the run, if one did: its processes are being (or were) stopped. */
export const interrupted = (): NodeJS.Signals | undefined => interruptedBy;

/** Environment for children: the project's Node first on PATH (wrangler's build step runs `node`), no Upstash. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${resolve(ROOT, 'node_modules', '.bin')}:${process.env['PATH'] ?? ''}` };
  // The benchmark measures the in-memory key store; a half or fully configured Upstash would change what is measured.
  delete env['UPSTASH_REDIS_REST_URL'];
  delete env['UPSTASH_REDIS_REST_TOKEN'];
  return { ...env, ...extra };
}

export interface StartOptions {
  /** Called with every stdout/stderr line (ANSI colours removed), e.g. to parse a request log. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export function start(label: string, cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = childEnv(), options: StartOptions = {}): Child {
  installHooks();
  const proc = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; done: (m: RegExpMatchArray) => void }[] = [];
  const onLine = (line: string, stream: 'stdout' | 'stderr') => {
    options.onLine?.(line, stream);
    lines.push(line);
    if (lines.length > 40) lines.shift();
    for (const w of [...waiters]) {
      const m = w.pattern.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done(m);
      }
    }
  };
  for (const [name, stream] of [['stdout', proc.stdout], ['stderr', proc.stderr]] as const) {
    let buffered = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      for (const part of parts) onLine(part.replace(/\x1b\[[0-9;]*m/g, ''), name);
    });
  }
  const child: Child = {
    label,
    proc,
    command: [cmd, ...args].map((a) => (a.startsWith(`${ROOT}/`) ? a.slice(ROOT.length + 1) : a)).join(' '),
    tail: () => lines.slice(-15).join('\n'),
    waitForLine: (pattern, timeoutMs) =>
      new Promise<RegExpMatchArray>((resolveLine, reject) => {
        for (const line of lines) {
          const m = pattern.exec(line);
          if (m) return resolveLine(m);
        }
        const timer = setTimeout(() => fail(new Error(`${label} did not become ready within ${timeoutMs / 1000} s`)), timeoutMs);
        const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
          fail(new Error(`${label} exited (${signal ?? `code ${code}`}) before it was ready`));
        const fail = (error: Error) => {
          clearTimeout(timer);
          proc.off('exit', onExit);
          reject(new Error(`${error.message}\n--- last output of ${label} ---\n${child.tail()}`));
        };
        proc.once('exit', onExit);
        waiters.push({
          pattern,
          done: (m) => {
            clearTimeout(timer);
            proc.off('exit', onExit);
            resolveLine(m);
          },
        });
      }),
  };
  children.push(child);
  return child;
}

/** Polls `url` until it answers 2xx (or the child exits, or time runs out). */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.label} exited before ${url} answered\n--- last output of ${child.label} ---\n${child.tail()}`);
    }
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${child.label}: ${url} did not answer within ${timeoutMs / 1000} s\n--- last output ---\n${child.tail()}`);
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

const signalGroup = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
};

/**
 * Stops one child (its whole process group): `signal` first, SIGKILL after `graceMs`.
 * Resolves once the group is gone.
 */
export async function stop(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<void> {
  const pid = child.proc.pid;
  if (pid === undefined) return;
  if (groupAlive(pid)) signalGroup(pid, signal);
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    const hard = Date.now() + 2000;
    while (groupAlive(pid) && Date.now() < hard) await new Promise((r) => setTimeout(r, 50));
  }
  const i = children.indexOf(child);
  if (i >= 0) children.splice(i, 1);
}

/** Stops every child still running; returns the labels of any whose process group survived. */
export async function stopAll(): Promise<string[]> {
  const all = [...children];
  await Promise.all(all.map((c) => stop(c)));
  return all.filter((c) => c.proc.pid !== undefined && groupAlive(c.proc.pid)).map((c) => c.label);
}

/** stopAll at the end of a benchmark (its `finally`), saying which process groups survived. */
export async function stopAllAndReport(): Promise<void> {
  const leftovers = await stopAll();
  if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
}

/** Cleanup hooks run on first use: Ctrl-C / SIGTERM stop the children, `exit` SIGKILLs stragglers. */
const cleanupHooks: (() => void)[] = [];
export function onCleanup(hook: () => void): void {
  cleanupHooks.push(hook);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const interrupt = (signal: NodeJS.Signals) => {
    if (interruptedBy) return;
    interruptedBy = signal;
    console.error(`\n${signal}: stopping the benchmark's processes…`);
    void stopAll().finally(() => {
      for (const hook of cleanupHooks) hook();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  process.once('SIGHUP', interrupt);
  process.once('exit', () => {
    for (const c of children) if (c.proc.pid !== undefined) signalGroup(c.proc.pid, 'SIGKILL');
  });
}

/** A port that was free a moment ago on 127.0.0.1 (for tools that cannot listen on port 0 and report it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
