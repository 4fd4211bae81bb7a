import type { Transport } from '../backends/transport.ts';
import type { CompiledFleet } from '../fleet/compiled.ts';
import type { Store } from '../store/store.ts';
import { probeFleet } from './probe.ts';
import { writeHealthSnapshot, type HealthSnapshot } from './snapshot.ts';

export interface ProbeRunDeps {
  fleet: CompiledFleet;
  transport: Transport;
  store: Store;
  /** The region's upstream credential, by the fleet's secret name. */
  secret(name: string): string | undefined;
  now?: () => number;
}

/**
 * One round of active health checking: every endpoint's /health and vLLM /metrics, written
 * to the store as one snapshot that every isolate's gateway reads (the Worker's cron, or an
 * interval on Node, runs it).
 */
export async function runHealthProbe(deps: ProbeRunDeps, timeoutMs = 3_000): Promise<HealthSnapshot> {
  const regions = new Map(deps.fleet.regions.map((r) => [r.id, r]));
  const snapshot = await probeFleet(deps.fleet, deps.transport, {
    timeoutMs,
    now: deps.now ?? Date.now,
    credentialFor: (endpoint) => {
      const secret = regions.get(endpoint.region)?.credentialsSecret;
      return secret ? deps.secret(secret) : undefined;
    },
  });
  await writeHealthSnapshot(deps.store, snapshot);
  return snapshot;
}
