import { CircuitBreakers, type BreakerOptions } from '../health/circuit-breaker.ts';
import { SaturationMarks } from '../health/saturation.ts';
import type { HealthSnapshot } from '../health/snapshot.ts';
import { observePeakEwma, type PeakEwma } from './balancers/peak-ewma.ts';
import { UNKNOWN_ENDPOINT, type EndpointView } from './endpoint-view.ts';
import { ERROR_RATE_FLOOR, errorRateAt, observeOutcome, type DecayedOutcomes } from './error-rate.ts';
import type { RouteState } from './types.ts';

/** The Worker's cron probes once a minute; Node's prober says its own interval. */
export const DEFAULT_PROBE_INTERVAL_MS = 60_000;

/** One endpoint's traffic as this isolate sees it. */
interface Traffic {
  inflight: number;
  /** In flight by tenant; created on the first request that names one. */
  tenants: Map<string, number> | undefined;
  latency: PeakEwma | undefined;
  /** Decayed counts of the outcomes the breaker counts, for the error rate (src/route/error-rate.ts). */
  errors: DecayedOutcomes | undefined;
}

const NO_TENANTS: ReadonlyMap<string, number> = new Map();

/**
 * What this isolate knows about each endpoint right now: in-flight counts, peak-EWMA latency,
 * circuit breakers (passive outlier detection on live traffic), each endpoint's decayed error rate
 * (from the outcomes the breakers count) and 429 saturation marks. The
 * forwarder writes it; routing reads it through a per-request view that also carries the
 * prober's last health snapshot. Bounded: one entry per endpoint of the fleet.
 *
 * A view of an endpoint is one lookup while nothing is wrong with it: breakers and marks are
 * looked up only for the endpoints that have had one (balancers and per-endpoint scorers build a
 * view per candidate, so this is what they pay per endpoint).
 */
export class LiveState {
  readonly #traffic = new Map<string, Traffic>();
  readonly #breakers: CircuitBreakers;
  readonly #saturation: SaturationMarks;
  /** Endpoints whose breaker may not be closed (every open one is in; a closed one may linger). */
  readonly #unsettled = new Set<string>();
  /** Endpoints that have been marked saturated at least once (marks are looked up for these only). */
  readonly #marked = new Set<string>();
  /** Endpoints whose error rate may be above the floor (a failure adds one; a view drops it once its rate has decayed below). */
  readonly #failing = new Set<string>();

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
    for (const id of ids) this.#traffic.set(id, { inflight: 0, tenants: undefined, latency: undefined, errors: undefined });
    this.#breakers = new CircuitBreakers(ids, options.breaker);
    this.#saturation = new SaturationMarks(ids);
  }

  /** A request to the endpoint started (for `tenant`); call the returned function exactly once when it ends. */
  begin(endpointId: string, tenant?: string): () => void {
    const traffic = this.#traffic.get(endpointId);
    if (traffic === undefined) return () => {};
    traffic.inflight++;
    let tenants: Map<string, number> | undefined;
    if (tenant !== undefined) {
      tenants = traffic.tenants ??= new Map();
      tenants.set(tenant, (tenants.get(tenant) ?? 0) + 1);
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      traffic.inflight = Math.max(0, traffic.inflight - 1);
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
    // A closed breaker always admits and stays closed: only an open one can change here.
    if (!this.#unsettled.has(endpointId)) return this.#breakers.allow(endpointId, now);
    const before = this.#breakers.retryAt(endpointId, now);
    const allowed = this.#breakers.allow(endpointId, now);
    if (this.#breakers.retryAt(endpointId, now) !== before) this.#changed = true;
    return allowed;
  }

  /** Records an outcome; a breaker opening, closing or taking its probe's answer changes the generation. */
  #record(endpointId: string, outcome: 'success' | 'failure', now: number, body: boolean): void {
    const traffic = this.#traffic.get(endpointId);
    if (traffic === undefined) return;
    traffic.errors = observeOutcome(traffic.errors, outcome === 'failure', now);
    if (outcome === 'failure') this.#failing.add(endpointId);
    const before = this.#breakers.retryAt(endpointId, now);
    this.#breakers.record(endpointId, outcome, now, body);
    if (this.#breakers.retryAt(endpointId, now) === before) return;
    this.#changed = true;
    if (this.#breakers.state(endpointId, now) === 'closed') this.#unsettled.delete(endpointId);
    else this.#unsettled.add(endpointId);
  }

  /**
   * The endpoint answered 2xx and its body arrived whole; `latencyMs` is the time to response
   * headers (NaN: already observed). `body`: told once a body relayed after the headers ended.
   */
  succeeded(endpointId: string, latencyMs: number, now: number, body = false): void {
    this.#record(endpointId, 'success', now, body);
    this.answered(endpointId, latencyMs, now);
  }

  /** Response headers arrived after `latencyMs`; whether the body makes it a success is told later. */
  answered(endpointId: string, latencyMs: number, now: number): void {
    const traffic = this.#traffic.get(endpointId);
    if (traffic === undefined) return;
    const next = observePeakEwma(traffic.latency, latencyMs, now);
    if (next) traffic.latency = next;
  }

  /** Unreachable, 5xx or timed out (`body`: cut or stalled after its headers): counts towards opening the breaker. */
  failed(endpointId: string, now: number, body = false): void {
    this.#record(endpointId, 'failure', now, body);
  }

  /** 429 / queue full: avoid the endpoint until its Retry-After (spill over meanwhile). */
  saturated(endpointId: string, now: number, retryAfter: string | null): void {
    if (!this.#traffic.has(endpointId)) return;
    this.#saturation.mark(endpointId, now, retryAfter);
    this.#marked.add(endpointId);
    this.#changed = true;
  }

  /** When an open breaker lets the endpoint be tried again (epoch ms; 0 when closed). */
  breakerRetryAt(endpointId: string, now: number): number {
    return this.#breakers.retryAt(endpointId, now);
  }

  inflight(endpointId: string): number {
    return this.#traffic.get(endpointId)?.inflight ?? 0;
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
    for (const id of this.#unsettled) {
      const retryAt = this.#breakers.retryAt(id, now);
      if (retryAt > now && retryAt < wake) wake = retryAt;
    }
    for (const id of this.#marked) {
      const until = this.#saturation.saturatedUntil(id);
      if (until > now && until < wake) wake = until;
    }
    return wake;
  }

  /** Whether some endpoint's error rate is above the floor at `now`; forgets those whose rate has decayed below it. */
  #anyFailing(now: number): boolean {
    for (const id of this.#failing) {
      if (errorRateAt(this.#traffic.get(id)?.errors, now) > ERROR_RATE_FLOOR) return true;
      this.#failing.delete(id);
    }
    return false;
  }

  view(now: number, snapshot?: HealthSnapshot): RouteState {
    return {
      now,
      probeIntervalMs: this.#probeIntervalMs,
      generation: this.#generationAt(now, snapshot),
      failing: this.#failing.size > 0 && this.#anyFailing(now),
      endpoint: (id): EndpointView => {
        const traffic = this.#traffic.get(id);
        if (traffic === undefined) return UNKNOWN_ENDPOINT;
        const unsettled = this.#unsettled.size > 0 && this.#unsettled.has(id);
        return {
          inflight: traffic.inflight,
          tenants: traffic.tenants ?? NO_TENANTS,
          latencyMs: traffic.latency?.value,
          health: snapshot?.endpoints[id],
          breaker: unsettled ? this.#breakers.state(id, now) : 'closed',
          breakerRetryAt: unsettled ? this.#breakers.retryAt(id, now) : 0,
          saturatedUntil: this.#marked.size > 0 && this.#marked.has(id) ? this.#saturation.saturatedUntil(id) : 0,
          errorRate: traffic.errors === undefined ? 0 : errorRateAt(traffic.errors, now),
        };
      },
    };
  }
}
