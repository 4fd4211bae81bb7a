// The limiter the request path calls: which subjects (the key, its tenant) cap what, the
// checks against the counters, OpenAI's headers and 429s, reconciliation after the call.
import type { KeyRecord } from '../auth/key-record.ts';
import type { PolicyVersion } from '../auth/policy-version.ts';
import { TtlMemo } from '../store/ttl-memo.ts';
import type { TenantRecord } from '../tenants/tenant-record.ts';
import { budgetPeriods } from './budget-periods.ts';
import type { LimitCounters, Spent, WindowTake } from './counters.ts';
import { UNLIMITED, type Admission, type AdmitRequest, type Limiter, type Usage } from './limiter.ts';
import { limitsAnything, type BudgetPeriod, type Budgets, type RateLimits } from './policy.ts';
import { budgetSpent, concurrencyRefused, rateHeaders, windowRefused } from './refusals.ts';

export interface TenantLookup {
  lookup(tenant: string): Promise<TenantRecord | null>;
}

export interface GatewayLimiterOptions {
  counters: LimitCounters;
  tenants: TenantLookup;
  /** The policy version: when keys or tenants change, locally cached counts and refusals go. */
  version?: PolicyVersion;
  /** Longest a request may hold a concurrency slot (the fleet's total timeout, plus a margin). */
  leaseMs: number;
  /** How long budget spending read from the store is reused (default 1 s). */
  budgetMemoMs?: number;
  now?: () => number;
}

interface Subject {
  /** Counter ids start with it: `key:key_…` or `tenant:…`. */
  readonly id: string;
  /** For messages: `API key key_…`, `tenant acme`. */
  readonly name: string;
  readonly limits: RateLimits | undefined;
  readonly budgets: Budgets | undefined;
}

type Check =
  | { kind: 'requests' | 'tokens'; subject: Subject; take: WindowTake }
  | { kind: 'concurrency'; subject: Subject; allowed: boolean; limit: number };

const PERIODS: readonly BudgetPeriod[] = ['daily', 'monthly'];
const MICRO = 1_000_000;

export class GatewayLimiter implements Limiter {
  readonly #counters: LimitCounters;
  readonly #tenants: TenantLookup;
  readonly #leaseMs: number;
  readonly #now: () => number;
  // Budget spending per counter, reused for a second: budgets need no store read per request.
  readonly #spent: TtlMemo<Spent>;

  constructor(options: GatewayLimiterOptions) {
    this.#counters = options.counters;
    this.#tenants = options.tenants;
    this.#leaseMs = options.leaseMs;
    this.#now = options.now ?? Date.now;
    this.#spent = new TtlMemo(options.budgetMemoMs ?? 1_000, 10_000, this.#now);
    options.version?.onChange(() => {
      this.#counters.forget();
      this.#spent.clear();
    });
  }

  async admit(request: AdmitRequest): Promise<Admission> {
    const { key, tokens, waitUntil } = request;
    const perRequest = request.scope !== 'tokens';
    const perToken = request.scope !== 'request';
    const subjects = this.#subjectsOf(key, await this.#tenants.lookup(key.tenant));
    if (subjects.length === 0) return UNLIMITED;
    const now = this.#now();
    if (perToken) await this.#checkBudgets(subjects, now);

    const token = subjects.some((s) => s.limits?.concurrency !== undefined) ? crypto.randomUUID() : '';
    const pending: Promise<Check>[] = [];
    for (const subject of subjects) {
      const { rpm, tpm, concurrency } = perRequest ? (subject.limits ?? {}) : { rpm: undefined, tpm: subject.limits?.tpm, concurrency: undefined };
      if (rpm !== undefined) {
        pending.push(this.#counters.take(`rpm:${subject.id}`, rpm, 1, waitUntil).then((take) => ({ kind: 'requests', subject, take })));
      }
      if (perToken && tpm !== undefined && tokens > 0) {
        pending.push(this.#counters.take(`tpm:${subject.id}`, tpm, tokens, waitUntil).then((take) => ({ kind: 'tokens', subject, take })));
      }
      if (concurrency !== undefined) {
        pending.push(
          this.#counters.acquire(`slots:${subject.id}`, concurrency, token, this.#leaseMs).then((slot) => ({
            kind: 'concurrency',
            subject,
            allowed: slot.allowed,
            limit: concurrency,
          })),
        );
      }
    }
    const checks = await Promise.all(pending);
    const headers = tightestHeaders(checks, now);
    const held = checks.filter((c) => c.kind === 'concurrency' && c.allowed).map((c) => c.subject.id);
    const release = once(async () => {
      await Promise.all(held.map((id) => this.#counters.release(`slots:${id}`, token)));
    });
    const refused = checks.find((c) => (c.kind === 'concurrency' ? !c.allowed : !c.take.allowed));
    if (refused !== undefined) {
      waitUntil(release());
      if (refused.kind === 'concurrency') throw concurrencyRefused(refused.subject.name, refused.limit, headers);
      throw windowRefused(refused.kind, refused.subject.name, refused.take, refused.kind === 'tokens' ? tokens : 1, now, headers);
    }
    const tokenTakes = checks.flatMap((c) => (c.kind === 'tokens' ? [c] : []));
    const settle = once(async (usage: Usage) => {
      const delta = Math.round(usage.tokens) - tokens;
      const work: Promise<void>[] = tokenTakes.map((c) => this.#counters.adjust(`tpm:${c.subject.id}`, delta, c.take.resetAt));
      work.push(this.#charge(subjects, usage));
      await Promise.all(work);
    });
    return { headers, holdsSlot: held.length > 0, settle, release };
  }

  #subjectsOf(key: KeyRecord, tenant: TenantRecord | null): Subject[] {
    const subjects: Subject[] = [];
    if (limitsAnything(key)) subjects.push({ id: `key:${key.id}`, name: `API key ${key.id}`, limits: key.limits, budgets: key.budgets });
    if (tenant !== null && limitsAnything(tenant)) {
      subjects.push({ id: `tenant:${tenant.tenant}`, name: `tenant ${tenant.tenant}`, limits: tenant.limits, budgets: tenant.budgets });
    }
    return subjects;
  }

  /** A budget already spent refuses the request (one in flight may overshoot it by its own size). */
  async #checkBudgets(subjects: readonly Subject[], now: number): Promise<void> {
    const periods = budgetPeriods(now);
    const wanted: { subject: Subject; period: BudgetPeriod; id: string }[] = [];
    for (const subject of subjects) {
      for (const period of PERIODS) {
        const budget = subject.budgets?.[period];
        if (budget?.tokens !== undefined || budget?.usd !== undefined) wanted.push({ subject, period, id: `${subject.id}:${periods[period].tag}` });
      }
    }
    if (wanted.length === 0) return;
    const unknown = wanted.filter((w) => this.#spent.get(w.id) === undefined).map((w) => w.id);
    if (unknown.length > 0) {
      const read = await this.#counters.spent(unknown);
      unknown.forEach((id, i) => this.#spent.set(id, read[i] ?? { tokens: 0, microUsd: 0 }));
    }
    for (const { subject, period, id } of wanted) {
      const spent = this.#spent.get(id) ?? { tokens: 0, microUsd: 0 };
      const budget = subject.budgets?.[period];
      if (budget?.tokens !== undefined && spent.tokens >= budget.tokens) {
        throw budgetSpent(subject.name, period, `token (${budget.tokens})`, periods[period].endsAt, now);
      }
      if (budget?.usd !== undefined && spent.microUsd >= Math.round(budget.usd * MICRO)) {
        throw budgetSpent(subject.name, period, `dollar ($${budget.usd})`, periods[period].endsAt, now);
      }
    }
  }

  async #charge(subjects: readonly Subject[], usage: Usage): Promise<void> {
    const spent: Spent = { tokens: Math.max(0, Math.round(usage.tokens)), microUsd: Math.max(0, Math.round(usage.costUsd * MICRO)) };
    if (spent.tokens === 0 && spent.microUsd === 0) return;
    const periods = budgetPeriods(this.#now());
    const work: Promise<void>[] = [];
    for (const subject of subjects) {
      for (const period of PERIODS) {
        if (subject.budgets?.[period] === undefined) continue;
        const id = `${subject.id}:${periods[period].tag}`;
        const known = this.#spent.get(id);
        if (known !== undefined) this.#spent.set(id, { tokens: known.tokens + spent.tokens, microUsd: known.microUsd + spent.microUsd });
        work.push(this.#counters.spend(id, spent, periods[period].ttlSeconds));
      }
    }
    await Promise.all(work);
  }
}

/** Per kind, the reading with the least room left (the one the client runs into first). */
function tightestHeaders(checks: readonly Check[], now: number): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const kind of ['requests', 'tokens'] as const) {
    let tightest: WindowTake | undefined;
    for (const check of checks) {
      if (check.kind === kind && (tightest === undefined || check.take.remaining < tightest.remaining)) tightest = check.take;
    }
    if (tightest !== undefined) rateHeaders(kind, tightest, now, headers);
  }
  return headers;
}

/** Runs `work` the first time only; later calls get the first call's promise. */
function once<A extends unknown[]>(work: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let done: Promise<void> | undefined;
  return (...args) => (done ??= work(...args).catch((error: unknown) => console.error(JSON.stringify({ event: 'limits_settle_failed', error: String(error) }))));
}
