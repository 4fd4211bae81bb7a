// Who may call and how much: API keys, tenant records and the limiter, wired over one store
// with one policy version, so a change made anywhere reaches every instance within a second.
import { ApiKeys, type ApiKeysOptions } from './auth/api-keys.ts';
import { DEFAULT_POLICY_CHECK_MS, PolicyVersion } from './auth/policy-version.ts';
import type { CompiledFleet } from './fleet/compiled.ts';
import type { LimitCounters } from './limits/counters.ts';
import { GatewayLimiter } from './limits/gateway-limiter.ts';
import type { Store } from './store/store.ts';
import { Tenants } from './tenants/tenants.ts';

export interface GovernanceOptions extends Pick<ApiKeysOptions, 'memoTtlMs' | 'hash'> {
  fleet: CompiledFleet;
  /** Where key and tenant records (and the policy version) live. */
  store: Store;
  counters: LimitCounters;
  /** How often each instance checks the policy version (default 1 s). */
  policyCheckMs?: number;
  now?: () => number;
}

export interface Governance {
  keys: ApiKeys;
  tenants: Tenants;
  limiter: GatewayLimiter;
}

/** A slot a request never released (its instance died) is reclaimed after the longest request could last. */
const LEASE_MARGIN_MS = 10_000;

export function buildGovernance(options: GovernanceOptions): Governance {
  const now = options.now ?? Date.now;
  const version = new PolicyVersion(options.store, { checkEveryMs: options.policyCheckMs ?? DEFAULT_POLICY_CHECK_MS, now });
  const keys = new ApiKeys(options.store, {
    version,
    now,
    ...(options.memoTtlMs === undefined ? {} : { memoTtlMs: options.memoTtlMs }),
    ...(options.hash === undefined ? {} : { hash: options.hash }),
  });
  const tenants = new Tenants(options.store, { version, now });
  const limiter = new GatewayLimiter({
    counters: options.counters,
    tenants,
    version,
    leaseMs: options.fleet.routing.timeouts.totalMs + LEASE_MARGIN_MS,
    now,
  });
  return { keys, tenants, limiter };
}
