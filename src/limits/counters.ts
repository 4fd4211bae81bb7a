// The store-side primitives the limiter is built from, implemented over Upstash Redis
// (upstash-counters.ts, every instance shares them) and in process memory (memory-counters.ts).

/** Rate limits count in fixed one-minute windows (aligned to the epoch, as @upstash/ratelimit does). */
export const WINDOW_MS = 60_000;

export interface WindowTake {
  /**
   * Whether the window still had room. A refused take counts all the same, as OpenAI counts
   * refused requests (with Upstash `deferred`, only in the instance that refused it).
   */
  allowed: boolean;
  limit: number;
  /** What is left in the window after this take (never below 0). */
  remaining: number;
  /** When the window ends, ms since the epoch. */
  resetAt: number;
}

export interface SlotTake {
  allowed: boolean;
  /** Requests in flight for the subject, this one included when allowed. */
  inFlight: number;
}

export interface Spent {
  tokens: number;
  microUsd: number;
}

export interface LimitCounters {
  /** Counts `amount` into the current window of `id`, capped at `limit`. */
  take(id: string, limit: number, amount: number, waitUntil: (work: Promise<unknown>) => void): Promise<WindowTake>;
  /**
   * Corrects an earlier take by `amount` (negative: gives back), in the window that took it;
   * nothing once that window has ended.
   */
  adjust(id: string, amount: number, windowEnd: number): Promise<void>;
  /** Takes one of `limit` concurrency slots for `token`; a slot not released expires after `leaseMs`. */
  acquire(id: string, limit: number, token: string, leaseMs: number): Promise<SlotTake>;
  release(id: string, token: string): Promise<void>;
  /** What each budget counter has spent. */
  spent(ids: readonly string[]): Promise<Spent[]>;
  /** Adds to a budget counter (its id names the period), kept at least `ttlSeconds`. */
  spend(id: string, spent: Spent, ttlSeconds: number): Promise<void>;
  /** Limits or keys changed: forget any locally cached refusal or count. */
  forget(): void;
}
