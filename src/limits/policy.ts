import * as z from '../zod-mini.ts';

// What an operator may cap, on a key record and on a tenant record alike. Every field is
// optional: a missing one means "no limit of that kind". Counts are whole numbers; dollars are
// decimal (stored and compared in micro-dollars, so sums stay exact).

const count = z.int().check(z.positive());
// zod numbers are finite already.
const dollars = z.number().check(z.positive());

export const rateLimitsSchema = z.strictObject({
  /** Requests per minute (a cache hit counts too). */
  rpm: z.optional(count),
  /** Tokens per minute, prompt + completion: estimated before the call, reconciled after it. */
  tpm: z.optional(count),
  /** Requests in flight at once. */
  concurrency: z.optional(count),
});

const budgetSchema = z.strictObject({
  /** Prompt + completion tokens per period. */
  tokens: z.optional(count),
  /** Dollars per period, as metered from the Region's pricing. */
  usd: z.optional(dollars),
});

export const budgetsSchema = z.strictObject({
  /** Per UTC calendar day. */
  daily: z.optional(budgetSchema),
  /** Per UTC calendar month. */
  monthly: z.optional(budgetSchema),
});

export type RateLimits = z.infer<typeof rateLimitsSchema>;
export type Budget = z.infer<typeof budgetSchema>;
export type Budgets = z.infer<typeof budgetsSchema>;
export type BudgetPeriod = keyof Budgets;

/** Limits and budgets of one subject (a key or a tenant); what the limiter enforces. */
export interface LimitPolicy {
  readonly limits?: RateLimits | undefined;
  readonly budgets?: Budgets | undefined;
}

/** Whether a policy caps anything at all (the limiter skips subjects that do not). */
export function limitsAnything(policy: LimitPolicy | undefined): boolean {
  if (policy === undefined) return false;
  const { limits, budgets } = policy;
  return (
    (limits !== undefined && (limits.rpm !== undefined || limits.tpm !== undefined || limits.concurrency !== undefined)) ||
    (budgets !== undefined && [budgets.daily, budgets.monthly].some((b) => b !== undefined && (b.tokens !== undefined || b.usd !== undefined)))
  );
}
