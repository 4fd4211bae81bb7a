import { BoundedMap } from './bounded-map.ts';
import { WINDOW_MS, type LimitCounters, type SlotTake, type Spent, type WindowTake } from './counters.ts';

export interface MemoryCountersOptions {
  now?: () => number;
  /** Bound on each kind of counter (windows, slot sets, budgets); the oldest goes first. */
  maxEntries?: number;
}

/**
 * The limiter's counters in this process's memory: `switchyard serve` without a store (one
 * process, so exact), and a Worker without Upstash (per isolate: a development setup only).
 * Same semantics as the Upstash counters: fixed one-minute windows where a refused take
 * still counts, slots with a lease, budget counters that expire with their period.
 */
export class MemoryCounters implements LimitCounters {
  readonly #now: () => number;
  readonly #windows: BoundedMap<string, { windowEnd: number; used: number }>;
  readonly #slots: BoundedMap<string, Map<string, number>>;
  readonly #budgets: BoundedMap<string, Spent & { expiresAt: number }>;

  constructor(options: MemoryCountersOptions = {}) {
    this.#now = options.now ?? Date.now;
    const max = options.maxEntries ?? 100_000;
    this.#windows = new BoundedMap(max);
    this.#slots = new BoundedMap(max);
    this.#budgets = new BoundedMap(max);
  }

  async take(id: string, limit: number, amount: number): Promise<WindowTake> {
    const now = this.#now();
    const windowEnd = (Math.floor(now / WINDOW_MS) + 1) * WINDOW_MS;
    let window = this.#windows.get(id);
    if (window === undefined || window.windowEnd !== windowEnd) {
      window = { windowEnd, used: 0 };
      this.#windows.set(id, window);
    }
    window.used += amount;
    return { allowed: window.used <= limit, limit, remaining: Math.max(0, limit - window.used), resetAt: windowEnd };
  }

  async adjust(id: string, amount: number, windowEnd: number): Promise<void> {
    const window = this.#windows.get(id);
    if (window !== undefined && window.windowEnd === windowEnd) window.used = Math.max(0, window.used + amount);
  }

  async acquire(id: string, limit: number, token: string, leaseMs: number): Promise<SlotTake> {
    const now = this.#now();
    let holders = this.#slots.get(id);
    if (holders === undefined) {
      holders = new Map();
      this.#slots.set(id, holders);
    }
    // A slot whose holder never released it (a crash mid-request) is reclaimed after its lease.
    for (const [holder, leasedUntil] of holders) if (leasedUntil <= now) holders.delete(holder);
    if (holders.size >= limit) return { allowed: false, inFlight: holders.size };
    holders.set(token, now + leaseMs);
    return { allowed: true, inFlight: holders.size };
  }

  async release(id: string, token: string): Promise<void> {
    const holders = this.#slots.get(id);
    holders?.delete(token);
    if (holders?.size === 0) this.#slots.delete(id);
  }

  async spent(ids: readonly string[]): Promise<Spent[]> {
    const now = this.#now();
    return ids.map((id) => {
      const counter = this.#budgets.get(id);
      return counter === undefined || counter.expiresAt <= now ? { tokens: 0, microUsd: 0 } : { tokens: counter.tokens, microUsd: counter.microUsd };
    });
  }

  async spend(id: string, spent: Spent, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    const counter = this.#budgets.get(id);
    if (counter === undefined || counter.expiresAt <= now) {
      this.#budgets.set(id, { ...spent, expiresAt: now + ttlSeconds * 1000 });
      return;
    }
    counter.tokens += spent.tokens;
    counter.microUsd += spent.microUsd;
  }

  forget(): void {
    // Nothing cached: these counters are the truth.
  }
}
