import { isRecord } from '../loose.ts';

/**
 * What the API server checks in `metadata` for every kind (CRD schemas only say "object"), plus
 * KServe's admission rule for its model resources: their names become DNS labels of hosts and
 * Services, so dots are refused (DNS-1035).
 */
export interface MetaProblem {
  /** Field path as segments: label keys contain dots, so no dotted string. */
  segments: (string | number)[];
  message: string;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Kinds whose names KServe's webhook requires to be DNS-1035 labels. */
const DNS1035_KINDS = new Set(['InferenceService', 'LLMInferenceService', 'InferenceGraph']);

function nameProblem(kind: string, name: string): string | undefined {
  if (kind === 'Namespace') {
    return name.length <= 63 && DNS1123_LABEL.test(name) ? undefined : 'a Namespace name must be a DNS-1123 label: lowercase letters, digits and "-", at most 63 characters';
  }
  if (DNS1035_KINDS.has(kind)) {
    return name.length <= 63 && DNS1035_LABEL.test(name)
      ? undefined
      : `KServe requires ${/^[AEIOU]/.test(kind) ? 'an' : 'a'} ${kind} name to be a DNS-1035 label (lowercase letter first, then lowercase letters, digits or "-", at most 63 characters; no dots)`;
  }
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name) ? undefined : 'must be a DNS-1123 subdomain: lowercase letters, digits, "-" and ".", at most 253 characters';
}

function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !(prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix))) return `key prefix "${prefix}" must be a DNS-1123 subdomain`;
  if (!(name.length <= 63 && LABEL_NAME.test(name))) return 'key name must be at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit';
  return undefined;
}

export function metadataProblems(kind: string, metadata: unknown, namespaced: boolean | undefined): MetaProblem[] {
  if (!isRecord(metadata)) return [{ segments: ['metadata'], message: 'missing: every object needs metadata with a name' }];
  const out: MetaProblem[] = [];
  const name = metadata['name'];
  if (typeof name !== 'string' || name === '') {
    if (typeof metadata['generateName'] !== 'string') out.push({ segments: ['metadata', 'name'], message: 'missing: every object needs a name' });
  } else {
    const p = nameProblem(kind, name);
    if (p) out.push({ segments: ['metadata', 'name'], message: `"${name}": ${p}` });
  }
  const ns = metadata['namespace'];
  if (ns !== undefined) {
    if (typeof ns !== 'string' || !(ns.length <= 63 && DNS1123_LABEL.test(ns))) out.push({ segments: ['metadata', 'namespace'], message: `${JSON.stringify(ns)}: must be a DNS-1123 label` });
    else if (namespaced === false) out.push({ segments: ['metadata', 'namespace'], message: `${kind} is cluster-scoped: a namespace has no meaning here` });
  }
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined) continue;
    if (!isRecord(map)) {
      out.push({ segments: ['metadata', field], message: 'must be a map of strings' });
      continue;
    }
    for (const [key, value] of Object.entries(map)) {
      const keyProblem = labelKeyProblem(key);
      const at = ['metadata', field, key];
      if (keyProblem) out.push({ segments: at, message: keyProblem });
      if (typeof value !== 'string') out.push({ segments: at, message: `value must be a string (quote it: "${String(value)}")` });
      else if (field === 'labels' && !(value.length <= 63 && LABEL_VALUE.test(value))) {
        out.push({ segments: at, message: `"${value}": a label value is at most 63 letters, digits, "-", "_" and "." (no commas or spaces)` });
      }
    }
  }
  return out;
}
