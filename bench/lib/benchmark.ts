import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** What bench/run.ts dispatches to: one module per benchmark, exporting `benchmark`. */
export interface Benchmark {
  /** One line for `npm run bench -- --help`. */
  readonly summary: string;
  /** Flag help for `npm run bench -- <name> --help`. */
  readonly usage: string;
  /** Runs with the arguments after the name; resolves to the process exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** Flags every benchmark takes. */
export const COMMON_FLAGS = {
  duration: { type: 'string' },
  rounds: { type: 'string' },
  quick: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

export const COMMON_USAGE = `  --duration <s>   seconds per measurement
  --rounds <n>     interleaved rounds (each measures every configuration; the median is reported)
  --quick          a short smoke run (fewer, shorter measurements; bench/RESULTS.md is not updated)
  -h, --help       this help`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseFlags<T extends ParseArgsOptionsConfig>(argv: readonly string[], options: T) {
  try {
    return parseArgs({ args: [...argv], options: { ...COMMON_FLAGS, ...options }, allowPositionals: false, strict: true }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A positive number from a flag, or the default. */
export function numberFlag(value: string | boolean | undefined, fallback: number, name: string, integer = false): number {
  if (value === undefined || typeof value === 'boolean') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'} (got "${value}")`);
  }
  return n;
}

/** A share (0..1) from a flag, or the default. */
export function shareFlag(value: string | boolean | undefined, fallback: number, name: string): number {
  if (value === undefined || typeof value === 'boolean') return fallback;
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new UsageError(`--${name} must be in 0..1 (got "${value}")`);
  return n;
}
