// CPU time (user + system) of a process group, from /proc (Linux): what a configuration's own
// processes spent, independent of how busy the shared machine was.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * Every live process's /proc/<pid>/stat fields after the command name (which may hold spaces):
 * [0] state, [1] ppid, [2] pgrp, … [11] utime, [12] stime, [13] cutime, [14] cstime (clock ticks).
 */
function* processStats(): Generator<{ pid: number; fields: string[] }> {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    yield { pid: Number(entry), fields: stat.slice(stat.lastIndexOf(')') + 2).split(' ') };
  }
}

/** Milliseconds of CPU used so far by the live processes of group `pgid`; undefined without /proc. */
export function groupCpuMs(pgid: number): number | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  let ticks = 0;
  for (const { fields } of processStats()) if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / clockTicks();
}

/**
 * Milliseconds of CPU used so far by process `root` and all its descendants: the live ones, and
 * those already reaped (their parents' cutime / cstime); NaN without /proc or without `root`.
 */
export function treeCpuMs(root: number = process.pid): number {
  if (!existsSync('/proc/self/stat')) return Number.NaN;
  const children = new Map<number, number[]>();
  const ticks = new Map<number, number>();
  for (const { pid, fields } of processStats()) {
    ticks.set(pid, Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  if (!ticks.has(root)) return Number.NaN;
  let total = 0;
  const stack = [root];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return (total * 1000) / clockTicks();
}

/**
 * The same, to the nanosecond: the scheduler's run time of every thread of the group's live
 * processes (/proc/<pid>/task/<tid>/schedstat). For short windows and idle processes, where
 * 10 ms clock ticks are too coarse. Threads that exited meanwhile drop out (a gateway's threads
 * live as long as it does). Falls back to groupCpuMs where schedstat is missing.
 */
export function groupCpuPreciseMs(pgid: number): number | undefined {
  if (!existsSync('/proc/self/task/') || !existsSync(`/proc/${process.pid}/schedstat`)) return groupCpuMs(pgid);
  let ns = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) !== pgid) continue;
      for (const tid of readdirSync(`/proc/${entry}/task`)) ns += Number(readFileSync(`/proc/${entry}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      continue; // exited meanwhile
    }
  }
  return ns / 1e6;
}
