// Was the machine shared during a run? The 1-minute load average sampled through it, set
// against the CPU the run's own processes (this one and every descendant: gateways, simulators,
// redis-server, the bridge) used: what the load average holds beyond that is other work.
import os from 'node:os';
import { treeCpuMs } from './cpu-usage.ts';
import { fmt } from './stats.ts';

const SAMPLE_MS = 5_000;
/** Runnable tasks on average beyond the run's own use that count as "shared". */
const SHARED_ABOVE = 0.5;

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
