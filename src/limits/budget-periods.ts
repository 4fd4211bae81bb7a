import type { BudgetPeriod } from './policy.ts';

export interface PeriodWindow {
  /** Names the period in counter ids: `2026-12-04` (daily) or `2026-12` (monthly). */
  tag: string;
  /** When the next period starts, ms since the epoch. */
  endsAt: number;
  /** How long its counter is kept: the period plus a day, so a late settle still lands. */
  ttlSeconds: number;
}

const DAY_MS = 86_400_000;

/** The UTC day and UTC month `now` falls in: budgets renew at midnight UTC and on the 1st. */
export function budgetPeriods(now: number): Record<BudgetPeriod, PeriodWindow> {
  const date = new Date(now);
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth();
  const d = date.getUTCDate();
  const dayEnds = Date.UTC(y, m, d + 1);
  const monthStarts = Date.UTC(y, m, 1);
  const monthEnds = Date.UTC(y, m + 1, 1);
  const month = `${y}-${String(m + 1).padStart(2, '0')}`;
  return {
    daily: { tag: `${month}-${String(d).padStart(2, '0')}`, endsAt: dayEnds, ttlSeconds: Math.ceil((dayEnds - Date.UTC(y, m, d) + DAY_MS) / 1000) },
    monthly: { tag: month, endsAt: monthEnds, ttlSeconds: Math.ceil((monthEnds - monthStarts + DAY_MS) / 1000) },
  };
}
