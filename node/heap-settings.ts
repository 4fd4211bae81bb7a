// V8 heap settings for `switchyard serve`, measured by `npm run bench -- soak` (bench/RESULTS.md).
// Left to its defaults on a large machine, V8 sizes the heap from physical memory (a 4 GiB limit
// on 23.5 GiB): the young generation grows to 2 × 64 MiB and the old generation lets promoted
// request garbage pile up to ~4× the live heap before a full GC, so RSS climbs for minutes (seen:
// 207 → 312 MiB in 45 s at 40 req/s) while the live heap stays at 30–45 MiB. With a 16 MiB
// semi-space and a 256 MiB old-space bound, RSS follows the live heap (175 → 204 MiB over a
// 10-minute soak while the 16 MiB L1 cache filled, 212 → 392 without) for ~4 % more CPU.
// These are process flags: V8 reads them before any code runs, so they go on the command line
// or in NODE_OPTIONS, not into the running process.
import { getHeapStatistics } from 'node:v8';

/** Node flags an operator runs `switchyard serve` with (NODE_OPTIONS or before the script). */
export const SERVE_V8_FLAGS = ['--max-semi-space-size=16', '--max-old-space-size=256'] as const;

const MiB = 2 ** 20;
const given = (flag: string) => [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a === flag || a.startsWith(`${flag}=`));

/** For the startup line: the heap limit in force, and a hint when serve runs without a heap bound. */
export function heapSettingsNote(): string {
  const limit = `V8 heap limit ${Math.round(getHeapStatistics().heap_size_limit / MiB)} MiB`;
  if (given('--max-old-space-size') || given('--max-heap-size')) return limit;
  return `${limit} (V8's default for this machine; production: NODE_OPTIONS='${SERVE_V8_FLAGS.join(' ')}')`;
}
