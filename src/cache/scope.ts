import type { KeyRecord } from '../auth/api-keys.ts';
import type { CompiledRegion } from '../fleet/compiled.ts';

/**
 * Whether a cached answer, made in `regionId`, may be served to this key: the same rule as the
 * key-scope route filter. Entries are per tenant, but one tenant's keys can have different
 * scopes, and an EU-only key must not be handed an answer a US endpoint produced.
 */
export function servedInScope(key: KeyRecord, regions: ReadonlyMap<string, CompiledRegion>): (regionId: string) => boolean {
  const { regions: allowed, residency } = key;
  if (!allowed?.length && !residency?.length) return () => true;
  return (regionId) => {
    const region = regions.get(regionId);
    return region !== undefined && (!allowed?.length || allowed.includes(region.id)) && (!residency?.length || residency.includes(region.residency));
  };
}
