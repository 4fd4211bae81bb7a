import { CircuitBreakers, type BreakerOptions } from '../health/circuit-breaker.ts';
import { SaturationMarks } from '../health/saturation.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import { observePeakEwma, type PeakEwma } from './balancers/peak-ewma.ts';
import { UNKNOWN_ENDPOINT, type EndpointView } from './endpoint-view.ts';
import type { RouteState } from './types.ts';

/** The Worker's cron probes once a minute; Node's prober says its own interval. */
export const DEFAULT_PROBE_INTERVAL_MS = 60_000;

/**
 * What this isolate knows about each endpoint right now: in-flight counts, peak-EWMA latency,
 * circuit breakers (passive outlier detection on live traffic) and 429 saturation marks. The
 * forwarder writes it; routing reads it through a per-request view that also carries the
 * prober's last health snapshot. Bounded: one entry per endpoint of the fleet.
 */
const NO_TENANTS: ReadonlyMap<string, number> = new Map();

export class LiveState {
  readonly #inflight = new Map<string, number>();
  readonly #byTenant = new Map<string, Map<string, number>>();
  readonly #latency = new Map<string, PeakEwma>();
  readonly #breakers: CircuitBreakers;
  readonly #saturation: SaturationMarks;
  readonly #known: ReadonlySet<string>;

  readonly #probeIntervalMs: number;

  // The routing generation (RouteState.generation): a new token whenever what stable filters
  // read may have changed. Cut lazily by view(), so quiet traffic pays one comparison.
  #generation: { readonly since: number } = { since: Number.NEGATIVE_INFINITY };
  /** The snapshot the generation was cut for (null before the first cut: a snapshot may be undefined). */
  #cutFor: HealthSnapshot | undefined | null = null;
  /** A breaker or a saturation mark changed since the cut. */
  #changed = false;
  /** When a breaker or a mark next changes state by the clock alone (a cooldown or a mark ends, a probe lease runs out). */
  #wakeAt = Number.POSITIVE_INFINITY;

  constructor(endpointIds: Iterable<string>, options: { breaker?: Partial<BreakerOptions>; probeIntervalMs?: number } = {}) {
    const ids = [...endpointIds];
    this.#probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.#known = new Set(ids);
    this.#breakers = new CircuitBreakers(ids, options.breaker);
    this.#saturation = new SaturationMarks(ids);
  }

  /** A request to the endpoint started (for `tenant`); call the returned function exactly once when it ends. */
  begin(endpointId: string, tenant?: string): () => void {
    if (!this.#known.has(endpointId)) return () => {};
    this.#inflight.set(endpointId, (this.#inflight.get(endpointId) ?? 0) + 1);
    let tenants: Map<string, number> | undefined;
    if (tenant !== undefined) {
      tenants = this.#byTenant.get(endpointId);
      if (!tenants) this.#byTenant.set(endpointId, (tenants = new Map()));
      tenants.set(tenant, (tenants.get(tenant) ?? 0) + 1);
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inflight.set(endpointId, Math.max(0, (this.#inflight.get(endpointId) ?? 1) - 1));
      if (tenants && tenant !== undefined) {
        const left = (tenants.get(tenant) ?? 1) - 1;
        // Only tenants with requests in flight stay: the map never outgrows the traffic.
        if (left > 0) tenants.set(tenant, left);
        else tenants.delete(tenant);
      }
    };
  }

  /** Whether the breaker lets a request through now; a half-open breaker admits one probe. */
  admit(endpointId: string, now: number): boolean {
    const before = this.#breakers.retryAt(endpointId, now);
    // A closed breaker always admits and stays closed: only an open one can change here.
    if (before === 0) return this.#breakers.allow(endpointId, now);
    const allowed = this.#breakers.allow(endpointId, now);
    if (this.#breakers.retryAt(endpointId, now) !== before) this.#changed = true;
    return allowed;
  }

  /** Records an outcome; a breaker opening, closing or taking its probe's answer changes the generation. */
  #record(endpointId: string, outcome: 'success' | 'failure', now: number): void {
    const before = this.#breakers.retryAt(endpointId, now);
    this.#breakers.record(endpointId, outcome, now);
    if (this.#breakers.retryAt(endpointId, now) !== before) this.#changed = true;
  }

  /** The endpoint answered 2xx and its body arrived whole; `latencyMs` is the time to response headers (NaN: already observed). */
  succeeded(endpointId: string, latencyMs: number, now: number): void {
    this.#record(endpointId, 'success', now);
    this.answered(endpointId, latencyMs, now);
  }

  /** Response headers arrived after `latencyMs`; whether the body makes it a success is told later. */
  answered(endpointId: string, latencyMs: number, now: number): void {
    if (!this.#known.has(endpointId)) return;
    const next = observePeakEwma(this.#latency.get(endpointId), latencyMs, now);
    if (next) this.#latency.set(endpointId, next);
  }

  /** Unreachable, 5xx or timed out: counts towards opening the breaker. */
  failed(endpointId: string, now: number): void {
    this.#record(endpointId, 'failure', now);
  }

  /** 429 / queue full: avoid the endpoint until its Retry-After (spill over meanwhile). */
  saturated(endpointId: string, now: number, retryAfter: string | null): void {
    this.#saturation.mark(endpointId, now, retryAfter);
    if (this.#known.has(endpointId)) this.#changed = true;
  }

  /** When an open breaker lets the endpoint be tried again (epoch ms; 0 when closed). */
  breakerRetryAt(endpointId: string, now: number): number {
    return this.#breakers.retryAt(endpointId, now);
  }

  inflight(endpointId: string): number {
    return this.#inflight.get(endpointId) ?? 0;
  }

  /**
   * The generation for a view at `now` over `snapshot`: the same token until something it covers
   * changes, from its `since` until the clock reaches #wakeAt.
   */
  #generationAt(now: number, snapshot: HealthSnapshot | undefined): { readonly since: number } {
    if (this.#changed || snapshot !== this.#cutFor || now >= this.#wakeAt) {
      this.#generation = { since: now };
      this.#cutFor = snapshot;
      this.#changed = false;
      this.#wakeAt = this.#nextWake(now);
    }
    return this.#generation;
  }

  /** The soonest moment after `now` a breaker or a saturation mark changes state on its own. */
  #nextWake(now: number): number {
    let wake = Number.POSITIVE_INFINITY;
    for (const id of this.#known) {
      const retryAt = this.#breakers.retryAt(id, now);
      if (retryAt > now && retryAt < wake) wake = retryAt;
      const until = this.#saturation.saturatedUntil(id);
      if (until > now && until < wake) wake = until;
    }
    return wake;
  }

  view(now: number, snapshot?: HealthSnapshot): RouteState {
    return {
      now,
      probeIntervalMs: this.#probeIntervalMs,
      generation: this.#generationAt(now, snapshot),
      endpoint: (id): EndpointView => {
        if (!this.#known.has(id)) return UNKNOWN_ENDPOINT;
        return {
          inflight: this.#inflight.get(id) ?? 0,
          tenants: this.#byTenant.get(id) ?? NO_TENANTS,
          latencyMs: this.#latency.get(id)?.value,
          health: snapshot?.endpoints[id],
          breaker: this.#breakers.state(id, now),
          breakerRetryAt: this.#breakers.retryAt(id, now),
          saturatedUntil: this.#saturation.saturatedUntil(id),
        };
      },
    };
  }
}
