import { z } from 'zod';
import { budgetsSchema, rateLimitsSchema } from '../limits/policy.ts';
import { keyIdFor } from './key-material.ts';

// Tenants end up inside cache and metrics keys, so they keep to a separator-free alphabet.
export const tenantName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit');
// Region ids and residency zones are named by the fleet file; an empty list would lock the
// key out of everything, which is what revocation is for, so a list has at least one entry.
const scopeList = z.array(z.string().regex(/^[^\s,]+$/, 'a region or zone id without spaces or commas')).min(1);
/** Model ids (or aliases) a key may use; `auto` and tier names resolve to one of them first. */
const modelList = z.array(z.string().regex(/^[^\s,]+$/, 'a model id without spaces or commas')).min(1);
const timestamp = z.iso.datetime({ offset: true });
const keyHash = z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 as 64 lower-case hex digits');
const keyId = z.string().regex(/^key_[0-9a-f]{12}$/);
const role = z.enum(['client', 'admin']);

export const keyRecordSchema = z
  .object({
    id: keyId,
    /** SHA-256 of the current secret; the record is filed under it. */
    hash: keyHash,
    tenant: tenantName,
    label: z.string().max(200),
    /**
     * `admin` keys reach the operator surface (/metrics, /dashboard, /admin/*, everyone's
     * usage); `client` keys (the role left out: every record written before roles existed) reach
     * the OpenAI API and their own usage only.
     */
    role: role.optional(),
    /** Region ids the key may be served from. */
    regions: scopeList.optional(),
    /** Residency zones the key may be served from. With both lists, a region must satisfy both. */
    residency: scopeList.optional(),
    /** The models the key may use; absent = every model. */
    models: modelList.optional(),
    limits: rateLimitsSchema.optional(),
    budgets: budgetsSchema.optional(),
    createdAt: timestamp,
    updatedAt: timestamp.optional(),
    /** After this instant the key is refused like a revoked one. */
    expiresAt: timestamp.optional(),
    /** Set by rotation: the id then no longer derives from the (new) hash. */
    rotatedAt: timestamp.optional(),
    revokedAt: timestamp.optional(),
  })
  // The id is the first hash's prefix; only a rotated key has moved on to another hash.
  .refine((record) => record.rotatedAt !== undefined || record.id === keyIdFor(record.hash), {
    message: 'id must be key_ + the first 12 hex digits of hash (unless the key was rotated)',
    path: ['id'],
  });

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
  label: z.string().max(200).default(''),
  role: role.optional(),
  regions: scopeList.optional(),
  residency: scopeList.optional(),
  models: modelList.optional(),
  limits: rateLimitsSchema.optional(),
  budgets: budgetsSchema.optional(),
  expiresAt: timestamp.optional(),
});

export type NewKey = z.input<typeof newKeySchema>;

/**
 * A change to a key: each field given replaces the record's; `null` removes an optional one
 * (back to "no restriction"). Tenant, id and secret never change here (rotation makes a new secret).
 */
export const keyChangeSchema = z.strictObject({
  label: z.string().max(200).optional(),
  role: role.optional(),
  regions: scopeList.nullable().optional(),
  residency: scopeList.nullable().optional(),
  models: modelList.nullable().optional(),
  limits: rateLimitsSchema.nullable().optional(),
  budgets: budgetsSchema.nullable().optional(),
  expiresAt: timestamp.nullable().optional(),
});

export type KeyChange = z.input<typeof keyChangeSchema>;

/** One line per problem, naming the field: fit for a CLI error or a startup failure. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
