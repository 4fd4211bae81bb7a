import { isRecord } from '../loose.ts';
import type { MetaProblem } from './object-meta.ts';

/**
 * Built-in kinds have no CRD to validate against; infra renders only a few of them, and for
 * those the checks here are what matters (shape, and for a Secret: no plaintext surprises).
 * Anything else built in is reported as not validated.
 */
const CORE: Record<string, { fields: readonly string[]; check?: (obj: Record<string, unknown>) => MetaProblem[] }> = {
  'v1/Namespace': { fields: ['spec', 'status'] },
  'v1/ServiceAccount': { fields: ['secrets', 'imagePullSecrets', 'automountServiceAccountToken'] },
  'v1/ConfigMap': {
    fields: ['data', 'binaryData', 'immutable'],
    check: (o) => stringMap(o, 'data'),
  },
  'v1/PersistentVolumeClaim': {
    fields: ['spec', 'status'],
    check: (o) => {
      const spec = isRecord(o['spec']) ? o['spec'] : {};
      const problems: MetaProblem[] = [];
      if (!Array.isArray(spec['accessModes']) || spec['accessModes'].length === 0) problems.push({ segments: ['spec', 'accessModes'], message: 'needs at least one access mode' });
      const storage = isRecord(spec['resources']) && isRecord(spec['resources']['requests']) ? spec['resources']['requests']['storage'] : undefined;
      if (typeof storage !== 'string' && typeof storage !== 'number') problems.push({ segments: ['spec', 'resources', 'requests', 'storage'], message: 'needs a storage request' });
      return problems;
    },
  },
  'v1/Secret': {
    fields: ['type', 'data', 'stringData', 'immutable'],
    check: (o) => [
      ...stringMap(o, 'stringData'),
      ...stringMap(o, 'data').concat(
        Object.entries(isRecord(o['data']) ? o['data'] : {})
          .filter(([, v]) => typeof v === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
          .map(([k]) => ({ segments: ['data', k], message: 'must be base64 (use stringData for plain text)' })),
      ),
    ],
  },
};

function stringMap(o: Record<string, unknown>, field: string): MetaProblem[] {
  const map = o[field];
  if (map === undefined) return [];
  if (!isRecord(map)) return [{ segments: [field], message: 'must be a map of strings' }];
  return Object.entries(map)
    .filter(([, v]) => typeof v !== 'string')
    .map(([k]) => ({ segments: [field, k], message: 'must be a string' }));
}

export const isCoreKind = (apiVersion: string, kind: string): boolean => Object.hasOwn(CORE, `${apiVersion}/${kind}`);

export function coreProblems(apiVersion: string, kind: string, obj: Record<string, unknown>): MetaProblem[] {
  const spec = CORE[`${apiVersion}/${kind}`];
  if (!spec) return [];
  const allowed = new Set(['apiVersion', 'kind', 'metadata', ...spec.fields]);
  const unknown = Object.keys(obj)
    .filter((k) => !allowed.has(k))
    .map((k) => ({ segments: [k], message: `unknown field "${k}" for ${kind}` }));
  return [...unknown, ...(spec.check?.(obj) ?? [])];
}
