import * as z from '../zod-mini.ts';
import { budgetsSchema, rateLimitsSchema } from '../limits/policy.ts';
import { keyIdFor } from './key-material.ts';

// Tenants end up inside cache and metrics keys, so they keep to a separator-free alphabet.
export const tenantName = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit'));
// Region ids and residency zones are named by the fleet file; an empty list would lock the
// key out of everything, which is what revocation is for, so a list has at least one entry.
const scopeList = z.array(z.string().check(z.regex(/^[^\s,]+$/, 'a region or zone id without spaces or commas'))).check(z.minLength(1));
/** Model ids (or aliases) a key may use; `auto` and tier names resolve to one of them first. */
const modelList = z.array(z.string().check(z.regex(/^[^\s,]+$/, 'a model id without spaces or commas'))).check(z.minLength(1));
const timestamp = z.iso.datetime({ offset: true });
const keyHash = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'SHA-256 as 64 lower-case hex digits'));
const keyId = z.string().check(z.regex(/^key_[0-9a-f]{12}$/));
const role = z.enum(['client', 'admin']);
const label = z.string().check(z.maxLength(200));

/** What a key may do, where and how much: the same optional fields on a record and on a new key. */
const grants = {
  /**
   * `admin` keys reach the operator surface (/metrics, /dashboard, /admin/*, everyone's
   * usage); `client` keys (the role left out: every record written before roles existed) reach
   * the OpenAI API and their own usage only.
   */
  role: z.optional(role),
  /** Region ids the key may be served from. */
  regions: z.optional(scopeList),
  /** Residency zones the key may be served from. With both lists, a region must satisfy both. */
  residency: z.optional(scopeList),
  /** The models the key may use; absent = every model. */
  models: z.optional(modelList),
  limits: z.optional(rateLimitsSchema),
  budgets: z.optional(budgetsSchema),
};

export const keyRecordSchema = z
  .object({
    id: keyId,
    /** SHA-256 of the current secret; the record is filed under it. */
    hash: keyHash,
    tenant: tenantName,
    label,
    ...grants,
    createdAt: timestamp,
    updatedAt: z.optional(timestamp),
    /** After this instant the key is refused like a revoked one. */
    expiresAt: z.optional(timestamp),
    /** Set by rotation: the id then no longer derives from the (new) hash. */
    rotatedAt: z.optional(timestamp),
    revokedAt: z.optional(timestamp),
  })
  // The id is the first hash's prefix; only a rotated key has moved on to another hash.
  .check(
    z.refine((record) => record.rotatedAt !== undefined || record.id === keyIdFor(record.hash), {
      message: 'id must be key_ + the first 12 hex digits of hash (unless the key was rotated)',
      path: ['id'],
    }),
  );

/**
 * What the store keeps about one API key. A key with neither `regions` nor `residency`
 * may reach every region.
 */
export type KeyRecord = z.infer<typeof keyRecordSchema>;

/**
 * Filed under the hash of a secret that was rotated away: it still authenticates as the key
 * filed under `aliasOf` until `until` (the grace period), then not at all.
 */
export const keyAliasSchema = z.strictObject({ id: keyId, hash: keyHash, aliasOf: keyHash, until: timestamp });
export type KeyAlias = z.infer<typeof keyAliasSchema>;

/** What a caller chooses when creating a key (everything else is derived). */
export const newKeySchema = z.strictObject({
  tenant: tenantName,
  label: z._default(label, ''),
  ...grants,
  expiresAt: z.optional(timestamp),
});

export type NewKey = z.input<typeof newKeySchema>;

/**
 * A change to a key: each field given replaces the record's; `null` removes an optional one
 * (back to "no restriction"). Tenant, id and secret never change here (rotation makes a new secret).
 */
export const keyChangeSchema = z.strictObject({
  label: z.optional(label),
  role: z.optional(role),
  regions: z.nullish(scopeList),
  residency: z.nullish(scopeList),
  models: z.nullish(modelList),
  limits: z.nullish(rateLimitsSchema),
  budgets: z.nullish(budgetsSchema),
  expiresAt: z.nullish(timestamp),
});

export type KeyChange = z.input<typeof keyChangeSchema>;

/** One line per problem, naming the field: fit for a CLI error or a startup failure. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
