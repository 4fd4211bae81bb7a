// Flags for limits, budgets and expiry, shared by `switchyard keys` and `switchyard tenants`.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Budgets, RateLimits } from '../src/limits/policy.ts';

/**
 * What `none` parses to: remove that value. Not null, because commander turns a parser's
 * null into an empty string.
 */
export const REMOVE: unique symbol = Symbol('remove');
export type Removable<T> = T | typeof REMOVE;

/** A flag's value: a number, or REMOVE for `none`. */
type Value = Removable<number>;

export interface LimitFlags {
  rpm?: Value;
  tpm?: Value;
  concurrency?: Value;
  dailyTokens?: Value;
  dailyUsd?: Value;
  monthlyTokens?: Value;
  monthlyUsd?: Value;
}

const count = (text: string): Value => {
  if (text === 'none') return REMOVE;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('a whole number above 0, or `none` to remove it');
  return n;
};

const dollars = (text: string): Value => {
  if (text === 'none') return REMOVE;
  const n = Number(text.replace(/^\$/, ''));
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('an amount of dollars above 0 (e.g. 25 or 0.5), or `none` to remove it');
  return n;
};

export function withLimitFlags(command: Command): Command {
  const flags: [string, string, (text: string) => Value][] = [
    ['--rpm <n>', 'requests per minute', count],
    ['--tpm <n>', 'tokens per minute (prompt + completion)', count],
    ['--concurrency <n>', 'requests in flight at once', count],
    ['--daily-tokens <n>', 'token budget per UTC day', count],
    ['--daily-usd <usd>', 'dollar budget per UTC day', dollars],
    ['--monthly-tokens <n>', 'token budget per UTC month', count],
    ['--monthly-usd <usd>', 'dollar budget per UTC month', dollars],
  ];
  for (const [flag, description, parse] of flags) command.addOption(new Option(flag, `${description} (\`none\` removes it)`).argParser(parse));
  return command;
}

/**
 * The limits and budgets after applying the flags to `current`: only what a flag names changes.
 * `undefined` = nothing of that kind was given; `null` = everything of that kind was removed.
 */
export function applyLimitFlags(
  flags: LimitFlags,
  current: { limits?: RateLimits | undefined; budgets?: Budgets | undefined } = {},
): { limits?: RateLimits | null; budgets?: Budgets | null } {
  const result: { limits?: RateLimits | null; budgets?: Budgets | null } = {};
  const limits = edit({ ...current.limits }, { rpm: flags.rpm, tpm: flags.tpm, concurrency: flags.concurrency });
  if (limits !== undefined) result.limits = limits;
  const daily = edit({ ...current.budgets?.daily }, { tokens: flags.dailyTokens, usd: flags.dailyUsd });
  const monthly = edit({ ...current.budgets?.monthly }, { tokens: flags.monthlyTokens, usd: flags.monthlyUsd });
  if (daily !== undefined || monthly !== undefined) {
    const budgets: Budgets = { ...current.budgets };
    for (const [period, value] of [['daily', daily], ['monthly', monthly]] as const) {
      if (value === null) delete budgets[period];
      else if (value !== undefined) budgets[period] = value;
    }
    result.budgets = Object.keys(budgets).length === 0 ? null : budgets;
  }
  return result;
}

function edit<T extends Record<string, number>>(target: Partial<T>, changes: { [K in keyof T]?: Value }): Partial<T> | null | undefined {
  let touched = false;
  for (const [field, value] of Object.entries(changes) as [keyof T, Value | undefined][]) {
    if (value === undefined) continue;
    touched = true;
    if (value === REMOVE) delete target[field];
    else target[field] = value as T[keyof T];
  }
  if (!touched) return undefined;
  return Object.keys(target).length === 0 ? null : target;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `12h`, `30d` → seconds. */
export function parseSeconds(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError('a duration such as 3600, 90s, 15m, 12h or 30d');
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

/** `--expires`: an ISO date-time, a duration from now (`30d`, `12h`), or `none` (no expiry). */
export function parseExpiry(text: string): Removable<string> {
  if (text === 'none') return REMOVE;
  if (/^\d+[smhd]?$/.test(text.trim())) return new Date(Date.now() + parseSeconds(text) * 1000).toISOString();
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\d/.test(text)) throw new InvalidArgumentError('an ISO date-time (2027-01-31T00:00:00Z), a duration from now (30d, 12h), or `none`');
  return new Date(ms).toISOString();
}

export const splitList = (text: string): Removable<string[]> => (text === 'none' ? REMOVE : text.split(',').map((item) => item.trim()));

/** For a change: REMOVE becomes null (the API's "remove"), a flag not given stays out. */
export function asChange<const T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined | typeof REMOVE> | null } {
  const change: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(values)) if (value !== undefined) change[field] = value === REMOVE ? null : value;
  return change as { [K in keyof T]?: Exclude<T[K], undefined | typeof REMOVE> | null };
}

/** For a new record: REMOVE means the same as a flag not given. */
export function asInput<const T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined | null | typeof REMOVE> } {
  const input: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(values)) if (value !== undefined && value !== null && value !== REMOVE) input[field] = value;
  return input as { [K in keyof T]?: Exclude<T[K], undefined | null | typeof REMOVE> };
}
