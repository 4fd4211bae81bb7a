import { z } from 'zod';
import { keyIdFor } from './key-material.ts';

// Tenants end up inside cache and metrics keys, so they keep to a separator-free alphabet.
const tenant = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, '1-64 of A-Z a-z 0-9 . _ -, starting with a letter or digit');
// Region ids and residency zones are named by the fleet file; an empty list would lock the
// key out of everything, which is what revocation is for, so a list has at least one entry.
const scopeList = z.array(z.string().regex(/^[^\s,]+$/, 'a region or zone id without spaces or commas')).min(1);

export const keyRecordSchema = z
  .object({
    id: z.string().regex(/^key_[0-9a-f]{12}$/),
    hash: z.string().regex(/^[0-9a-f]{64}$/, 'SHA-256 as 64 lower-case hex digits'),
    tenant,
    label: z.string().max(200),
    /**
     * `admin` keys reach the operator surface (/metrics, /dashboard, /admin/*, everyone's
     * usage); `client` keys (the role left out: every record written before roles existed) reach
     * the OpenAI API and their own usage only.
     */
    role: z.enum(['client', 'admin']).optional(),
    /** Region ids the key may be served from. */
    regions: scopeList.optional(),
    /** Residency zones the key may be served from. With both lists, a region must satisfy both. */
    residency: scopeList.optional(),
    createdAt: z.iso.datetime({ offset: true }),
    revokedAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((record) => record.id === keyIdFor(record.hash), { message: 'id must be key_ + the first 12 hex digits of hash', path: ['id'] });

/**
 * What the store keeps about one API key. A key with neither `regions` nor `residency`
 * may reach every region.
 */
export type KeyRecord = z.infer<typeof keyRecordSchema>;

/** What a caller chooses when creating a key (everything else is derived). */
export const newKeySchema = z.object({
  tenant,
  label: z.string().max(200).default(''),
  role: z.enum(['client', 'admin']).optional(),
  regions: scopeList.optional(),
  residency: scopeList.optional(),
});

export type NewKey = z.input<typeof newKeySchema>;

/** One line per problem, naming the field: fit for a CLI error or a startup failure. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`).join('; ');
}
