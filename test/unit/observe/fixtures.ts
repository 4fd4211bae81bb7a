// Shared fixtures for the metering and metrics unit tests: request records as the request path
// leaves them, and regions and models with the pricing and GPUs a test needs.
import type { CompiledEndpoint, CompiledModel, CompiledRegion } from '../../../src/fleet/compiled.ts';
import type { HealthSnapshot } from '../../../src/health/snapshot.ts';
import { newRecord, type RequestRecord } from '../../../src/observe/request-record.ts';
import { traceContext } from '../../../src/observe/trace-context.ts';
import { LiveState } from '../../../src/route/live-state.ts';
import { localFleet } from '../core/fixtures.ts';

/** A finished request's record: started at `startedAt` (default 0), with whatever the path filled in. */
export function requestRecord(filled: Partial<RequestRecord> = {}, path = '/v1/chat/completions'): RequestRecord {
  return Object.assign(newRecord('req-1', 'POST', path, filled.startedAt ?? 0, traceContext(undefined, undefined)), filled);
}

/** A chat request served from eu by one endpoint for tenant acme's key-a, with its usage and cost. */
export const servedRecord = (filled: Partial<RequestRecord> = {}): RequestRecord =>
  requestRecord({
    model: 'llama',
    tier: 'small',
    region: 'eu',
    tenant: 'acme',
    keyId: 'key-a',
    endpoint: 'eu/llama/0',
    usage: { input: 100, output: 20, cached: 64 },
    cost: { usd: 0.002, basis: 'tokens' },
    attempts: [{ endpoint: 'eu/llama/0', outcome: 200, ms: 5 }],
    ...filled,
  });

export function region(id: string, pricing: CompiledRegion['pricing']): CompiledRegion {
  return { id, residency: 'global', location: { latitude: 0, longitude: 0, continent: 'EU' }, pricing };
}

export function model(id: string, gpusPerReplica?: number): CompiledModel {
  return {
    id,
    aliases: [],
    capabilities: ['chat'],
    loadBalancing: 'least-connections',
    ...(gpusPerReplica === undefined ? {} : { gpusPerReplica }),
    source: { kind: 'InferenceService', name: id, namespace: 'llm' },
  };
}

/**
 * The local fleet as the gauges and the dashboard see it at `now`: two requests in flight on
 * its first endpoint, the second's breaker open (the default opens after 5 failures in a row),
 * and a probe 30 s old that found the first healthy and loaded and the second down.
 */
export function fleetAt(now: number) {
  const fleet = localFleet();
  const endpointAt = (i: number): CompiledEndpoint => {
    const endpoint = fleet.endpoints[i];
    if (!endpoint) throw new Error(`the local fleet has an endpoint ${i}`);
    return endpoint;
  };
  const [first, second] = [endpointAt(0), endpointAt(1)];
  const live = new LiveState(fleet.endpoints.map((e) => e.id));
  live.begin(first.id, 'acme');
  live.begin(first.id, 'acme');
  for (let i = 0; i < 5; i++) live.failed(second.id, now);
  const snapshot: HealthSnapshot = {
    takenAt: now - 30_000,
    endpoints: {
      [first.id]: { healthy: true, running: 3, waiting: 1, kvCacheUsage: 0.42, gpuUtilization: 0.9, gpuMemoryUsage: 0.75, checkedAt: now - 30_000 },
      [second.id]: { healthy: false, checkedAt: now - 30_000, error: 'connect ECONNREFUSED' },
    },
  };
  return { gw: { fleet, live }, snapshot, first, second };
}
