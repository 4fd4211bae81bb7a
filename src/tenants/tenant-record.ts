import * as z from '../zod-mini.ts';
import { describeIssues, tenantName } from '../auth/key-record.ts';
import { budgetsSchema, rateLimitsSchema } from '../limits/policy.ts';

export { describeIssues };

/**
 * Limits and budgets shared by every key of a tenant, on top of each key's own: a request
 * must fit both. A tenant without a record has no tenant-level caps.
 */
export const tenantRecordSchema = z.object({
  tenant: tenantName,
  label: z.optional(z.string().check(z.maxLength(200))),
  limits: z.optional(rateLimitsSchema),
  budgets: z.optional(budgetsSchema),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
});

export type TenantRecord = z.infer<typeof tenantRecordSchema>;

/** What an operator sets on a tenant: the whole of it (a field left out is removed). */
export const tenantSettingsSchema = z.strictObject({
  label: z.optional(z.string().check(z.maxLength(200))),
  limits: z.optional(rateLimitsSchema),
  budgets: z.optional(budgetsSchema),
});

export type TenantSettings = z.input<typeof tenantSettingsSchema>;
