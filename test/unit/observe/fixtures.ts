// Shared fixtures for the metering and metrics unit tests: request records as the request path
// leaves them, and regions and models with the pricing and GPUs a test needs.
import type { CompiledModel, CompiledRegion } from '../../../src/fleet/compiled.ts';
import { newRecord, type RequestRecord } from '../../../src/observe/request-record.ts';
import { traceContext } from '../../../src/observe/trace-context.ts';

/** A finished request's record: started at `startedAt` (default 0), with whatever the path filled in. */
export function requestRecord(filled: Partial<RequestRecord> = {}, path = '/v1/chat/completions'): RequestRecord {
  return Object.assign(newRecord('req-1', 'POST', path, filled.startedAt ?? 0, traceContext(undefined, undefined)), filled);
}

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
