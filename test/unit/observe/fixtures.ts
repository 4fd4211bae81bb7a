// Shared fixtures for the metering and metrics unit tests: request records as the request path
// leaves them, and regions and models with the pricing and GPUs a test needs.
import type { CompiledModel, CompiledRegion } from '../../../src/fleet/compiled.ts';
import { newRecord, type RequestRecord } from '../../../src/observe/request-record.ts';
import { traceContext } from '../../../src/observe/trace-context.ts';

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
