import type { CompiledFleet } from '../fleet/compiled.ts';
import type { RequestRecord } from '../observe/request-record.ts';
import { costOf } from './cost.ts';
import { usageIn } from './usage.ts';

const encoder = new TextEncoder();

/**
 * Settles a finished request's usage and cost on its record, after the response (deferred):
 * the usage of a whole JSON answer is read here, not on the hot path; a cache hit costs
 * nothing upstream; otherwise the region's pricing applies (src/meter/cost.ts).
 */
export function meterRequest(record: RequestRecord, fleet: { regions: ReadonlyMap<string, CompiledFleet['regions'][number]>; models: ReadonlyMap<string, CompiledFleet['models'][number]> }, endedAt: number): void {
  if (record.answer !== undefined) {
    const bytes = typeof record.answer === 'string' ? encoder.encode(record.answer) : record.answer;
    if (!record.usage) {
      const usage = usageIn(bytes);
      if (usage) record.usage = usage;
    }
    if (record.bytesOut === undefined && record.stream !== true) record.bytesOut = bytes.length;
  }
  record.answer = undefined;
  if (record.cache?.startsWith('hit')) {
    record.cost = { usd: 0, basis: 'cache' };
    return;
  }
  const region = record.region === undefined ? undefined : fleet.regions.get(record.region);
  if (!region || record.dispatchedAt === undefined) return;
  const model = record.model === undefined ? undefined : fleet.models.get(record.model);
  record.cost = costOf(region.pricing, {
    usage: record.usage,
    gpus: model?.gpusPerReplica,
    busyMs: Math.max(0, endedAt - record.dispatchedAt),
    concurrency: record.sharedWith ?? 1,
  });
}
