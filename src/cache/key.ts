import { errors } from '../api/errors.ts';
import { MAX_JSON_DEPTH } from '../api/json-depth.ts';
import type { Endpoint } from '../api/schemas.ts';
import { sha256Hex } from '../hex.ts';

/** Bumped when the key's layout changes, so old entries are simply never found again. */
const KEY_VERSION = 'v1';

/**
 * Request fields that cannot change the answer, left out of the key. Everything else is in it,
 * so a field this list does not know (a new OpenAI or vLLM parameter) changes the key rather
 * than letting two different requests share an answer.
 * - model: replaced by the resolved model id (an alias, a tier name and `auto` that land on the
 *   same model share entries);
 * - stream, stream_options: an entry serves both forms (replay.ts);
 * - user, metadata, store: bookkeeping; priority, request_id: vLLM scheduling and tracing.
 */
export const IGNORED_FIELDS: ReadonlySet<string> = new Set(['model', 'stream', 'stream_options', 'user', 'metadata', 'store', 'priority', 'request_id']);

/**
 * JSON with object keys sorted at every depth: equal values give equal text whatever the key
 * order. Bodies arrive depth-checked (src/api/read-body.ts); the bound here is the backstop, so
 * no value can make it recurse past MAX_JSON_DEPTH.
 */
export function canonicalJson(value: unknown, depth = 0): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (depth >= MAX_JSON_DEPTH) throw errors.tooDeep(MAX_JSON_DEPTH);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += `${i > 0 ? ',' : ''}${canonicalJson(value[i], depth + 1)}`;
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(v, depth + 1)}`;
  }
  return `${out}}`;
}

/**
 * The request as the key sees it: the body as parsed (not as validated: a validator may drop
 * members, `__proto__` among them, that are still forwarded), top-level fields minus the ignored
 * ones, and minus explicit nulls (OpenAI reads `"temperature": null` as "use the default", the same as leaving it out).
 */
export function keyedRequest(request: Readonly<Record<string, unknown>>): Record<string, unknown> {
  // No prototype: a `__proto__` member (JSON.parse makes it an own property, and it is forwarded)
  // stays a member here too instead of becoming this object's prototype and leaving the key.
  const kept = Object.create(null) as Record<string, unknown>;
  for (const [field, value] of Object.entries(request)) {
    if (value === null || IGNORED_FIELDS.has(field)) continue;
    kept[field] = value;
  }
  return kept;
}

export interface KeyParts {
  tenant: string;
  kind: Endpoint;
  /** The resolved model id (after aliases, tiers and `auto`). */
  model: string;
  request: Readonly<Record<string, unknown>>;
}

/** The text whose SHA-256 is the key: tenant first, so no two tenants can ever share an entry. */
export const keyMaterial = (parts: KeyParts): string =>
  `${JSON.stringify([KEY_VERSION, parts.tenant, parts.kind, parts.model])}\n${canonicalJson(keyedRequest(parts.request))}`;

export type Sha256 = (text: string) => string | Promise<string>;

/** SHA-256, lower-case hex, with Web Crypto (Node passes a faster synchronous one). A flat string (src/hex.ts): L1 keeps every key it holds. */
export const webCryptoSha256: Sha256 = sha256Hex;
