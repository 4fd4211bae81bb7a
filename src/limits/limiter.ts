// The limiter as the request path sees it: admit before the upstream call (after the cache),
// settle with the real usage after it, release the concurrency slot when the response ends.
import type { KeyRecord } from '../auth/key-record.ts';

export interface AdmitRequest {
  key: KeyRecord;
  /**
   * Estimated prompt + completion tokens of the upstream call (src/limits/estimate.ts); 0 for
   * an answer that costs no tokens, such as a cache hit (it still counts against rpm).
   */
  tokens: number;
  /** Keeps deferred store writes alive after the response (`waitUntil` on Workers). */
  waitUntil(work: Promise<unknown>): void;
  /**
   * Which limits this admission checks: `request` — requests per minute and in flight (every API
   * request, before any handler); `tokens` — tokens per minute and the budgets (after the cache,
   * for a call that will reach an upstream). Absent: all of them.
   */
  scope?: 'request' | 'tokens';
}

export interface Usage {
  /** Prompt + completion tokens the upstream reported. */
  tokens: number;
  /** What the call cost, from the Region's pricing (0 when unpriced). */
  costUsd: number;
}

export interface Admission {
  /** OpenAI's `x-ratelimit-*` headers for the response (empty when nothing limits the key). */
  readonly headers: Readonly<Record<string, string>>;
  /** Whether the request holds a concurrency slot: `release` must then run when its response ends. */
  readonly holdsSlot: boolean;
  /**
   * Reconciles the token estimate with the real usage and charges the budgets. Once; later
   * calls do nothing. Meant for `waitUntil`: it never throws.
   */
  settle(usage: Usage): Promise<void>;
  /** Frees the concurrency slot (idempotent; never throws). */
  release(): Promise<void>;
}

/**
 * Per-key and per-tenant limits and budgets. `admit` throws a GatewayError 429 when a limit
 * refuses (`rate_limit_exceeded`, with Retry-After and the headers) or a budget is spent
 * (`insufficient_quota`).
 */
export interface Limiter {
  admit(request: AdmitRequest): Promise<Admission>;
}

/** What admits a key that nothing limits: no headers, nothing to settle or release. */
export const UNLIMITED: Admission = {
  headers: {},
  holdsSlot: false,
  settle: async () => {},
  release: async () => {},
};
