import { isRecord } from '../loose.ts';

/**
 * A CRD's openAPIV3Schema, made into the JSON Schema ajv checks, in two pure steps.
 *
 * 1. Unknown fields are errors. The API server prunes fields a structural schema does not
 *    declare, and `kubectl apply` (field validation Strict) rejects them; JSON Schema allows
 *    them. So every object that declares `properties`, and neither `additionalProperties` nor
 *    `x-kubernetes-preserve-unknown-fields`, gets `additionalProperties: false`. This is what
 *    catches a misspelt or invented field.
 * 2. Repeated subtrees become `$defs` + `$ref`. KServe's CRDs embed the Kubernetes PodSpec dozens
 *    of times (2-3 MB each); compiled as written, one takes ~5 s in ajv, hoisted ~0.5 s. Same
 *    schema, same verdicts, same instance paths in errors.
 */
type Schema = Record<string, unknown>;

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';

export function strictUnknownFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictUnknownFields);
  if (!isRecord(schema)) return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && isRecord(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, strictUnknownFields(sub)]));
    } else if (key === 'default' || key === 'enum' || key === 'example') {
      out[key] = value; // data, not schema
    } else {
      out[key] = strictUnknownFields(value);
    }
  }
  if (isRecord(out['properties']) && out['additionalProperties'] === undefined && out[PRESERVE] !== true) out['additionalProperties'] = false;
  return out;
}

/** Subtrees smaller than this (serialized) are cheaper inline than behind a $ref. */
const MIN_HOISTED_SIZE = 500;

export function hoistRepeats(root: Schema): Schema {
  const keyOf = new Map<object, string>();
  const count = new Map<string, number>();
  // Canonical text of each subtree (keys sorted), computed once bottom-up.
  const canonical = (node: unknown): string => {
    if (!isRecord(node) && !Array.isArray(node)) return JSON.stringify(node) ?? 'null';
    const text = Array.isArray(node)
      ? `[${node.map(canonical).join(',')}]`
      : `{${Object.keys(node)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(node[k])}`)
          .join(',')}}`;
    keyOf.set(node, text);
    if (isRecord(node) && (node['properties'] !== undefined || node['items'] !== undefined)) count.set(text, (count.get(text) ?? 0) + 1);
    return text;
  };
  canonical(root);

  const defs: Schema = {};
  const ids = new Map<string, string>();
  const rewrite = (node: unknown, isRoot: boolean): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, false));
    if (!isRecord(node)) return node;
    const key = keyOf.get(node) ?? '';
    if (!isRoot && (count.get(key) ?? 0) > 1 && key.length >= MIN_HOISTED_SIZE) {
      let id = ids.get(key);
      if (id === undefined) {
        id = `s${ids.size}`;
        ids.set(key, id);
        defs[id] = rewrite(node, true);
      }
      return { $ref: `#/$defs/${id}` };
    }
    const out: Schema = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'default' || k === 'enum' || k === 'example') out[k] = v; // data, not schema
      else if (k === 'properties' && isRecord(v)) out[k] = Object.fromEntries(Object.entries(v).map(([name, sub]) => [name, rewrite(sub, false)]));
      else out[k] = rewrite(v, false);
    }
    return out;
  };
  const out = rewrite(root, true) as Schema;
  return Object.keys(defs).length > 0 ? { ...out, $defs: defs } : out;
}

export const prepareSchema = (openAPIV3Schema: unknown): Schema => hoistRepeats(strictUnknownFields(openAPIV3Schema) as Schema);
