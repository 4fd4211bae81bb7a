import type { CompiledFleet } from '../fleet/compiled.ts';
import { adminError } from './body.ts';

/**
 * A key's allow-list and scope name things the fleet defines; a name the fleet does not know
 * would silently lock the key out of everything, so the API refuses it (400 naming it).
 */
export function assertKnownNames(
  fleet: CompiledFleet,
  input: { models?: readonly string[] | null | undefined; regions?: readonly string[] | null | undefined; residency?: readonly string[] | null | undefined },
): void {
  const known = {
    models: new Set(fleet.models.flatMap((m) => [m.id, ...m.aliases])),
    regions: new Set(fleet.regions.map((r) => r.id)),
    residency: new Set(fleet.regions.map((r) => r.residency)),
  };
  for (const field of ['models', 'regions', 'residency'] as const) {
    const unknown = (input[field] ?? []).filter((name) => !known[field].has(name));
    if (unknown.length > 0) {
      const what = { models: 'model', regions: 'region', residency: 'residency zone' }[field];
      throw adminError(400, 'invalid_request', `${field}: unknown ${what} ${unknown.map((n) => `\`${n}\``).join(', ')}; the fleet has ${[...known[field]].join(', ')}.`, field);
    }
  }
}
