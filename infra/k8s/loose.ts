/**
 * Reading the fleet's loose objects (the reference resources keep every field they were given):
 * small typed accessors instead of casts at each use.
 */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at `path` inside nested records and arrays (numeric keys), or undefined. */
export function dig(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) {
    if (Array.isArray(at) && /^\d+$/.test(key)) at = at[Number(key)];
    else if (isRecord(at)) at = at[key];
    else return undefined;
  }
  return at;
}

export const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Numbers, and Kubernetes' stringly numbers ("4"). */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  return undefined;
}

export const asStringArray = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;

/** A deep copy as plain JSON data (drops undefined, functions and class instances). */
export const toJson = (value: unknown): Json => JSON.parse(JSON.stringify(value ?? null)) as Json;

export const toJsonObject = (value: unknown): JsonObject => {
  const json = toJson(value);
  return isRecord(json) ? (json as JsonObject) : {};
};
