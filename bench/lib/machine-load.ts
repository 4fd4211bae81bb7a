// Was the machine shared during a run? The 1-minute load average sampled through it, set
// against the CPU the run's own processes (this one and every descendant: gateways, simulators,
// redis-server, the bridge) used: what the load average holds beyond that is other work.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { fmt } from './stats.ts';

const TICK_MS = 10; // USER_HZ is 100 on Linux
const SAMPLE_MS = 5_000;
/** Runnable tasks on average beyond the run's own use that count as "shared". */
const SHARED_ABOVE = 0.5;

/** CPU ms of the process `root` and all its descendants (live ones, and those already reaped: cutime/cstime); NaN without /proc. */
export function treeCpuMs(root: number = process.pid): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return Number.NaN;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command (which may hold spaces and parentheses): state ppid … utime stime cutime cstime.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    const ppid = Number(f[1]);
    cpu.set(pid, (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * TICK_MS);
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  if (!cpu.has(root)) return Number.NaN;
  let total = 0;
  const stack = [root];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    total += cpu.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

export interface MachineLoad {
  /** 1-minute load averages sampled every 5 s, the first at the start. */
  readonly loads: readonly number[];
  /** CPU the run's own processes used, in cores on average. */
  readonly ownCores: number;
  readonly cores: number;
}

/** Samples the load average and the run's own CPU from now until the returned function is called. */
export function watchMachineLoad(): () => MachineLoad {
  const loads = [os.loadavg()[0] ?? Number.NaN];
  const cpu0 = treeCpuMs();
  const t0 = performance.now();
  const timer = setInterval(() => loads.push(os.loadavg()[0] ?? Number.NaN), SAMPLE_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    loads.push(os.loadavg()[0] ?? Number.NaN);
    return { loads, ownCores: (treeCpuMs() - cpu0) / (performance.now() - t0), cores: os.cpus().length };
  };
}

/** The report's sentence on it: shared or not, from the figures. */
export function machineLoadNote(m: MachineLoad): string {
  const mean = m.loads.reduce((a, b) => a + b, 0) / m.loads.length;
  const others = mean - m.ownCores;
  const figures = `the 1-minute load average ran ${fmt(Math.min(...m.loads), 2)}–${fmt(Math.max(...m.loads), 2)} (mean ${fmt(mean, 2)} over ${m.loads.length} samples, every ${SAMPLE_MS / 1000} s) while the run's own processes used ${fmt(m.ownCores, 2)} of the ${m.cores} cores on average`;
  if (!Number.isFinite(others)) return `Load average: ${figures}; whether other work shared the machine is not known.`;
  return others >= SHARED_ABOVE
    ? `**The machine was shared**: ${figures}, so about ${fmt(others, 1)} runnable tasks on average were other work (compare figures within this run).`
    : `The machine was not noticeably shared: ${figures}, nothing much beyond the run's own.`;
}
