// Shared by the limiter tests: key records with limits, a tenant lookup, a waitUntil that
// can be awaited, and a wait that keeps a sequence of takes inside one rate window.
import type { KeyRecord } from '../../../src/auth/key-record.ts';
import { WINDOW_MS } from '../../../src/limits/counters.ts';
import type { Budgets, RateLimits } from '../../../src/limits/policy.ts';
import type { TenantRecord } from '../../../src/tenants/tenant-record.ts';

let serial = 0;

export function keyWith(policy: { limits?: RateLimits; budgets?: Budgets; tenant?: string } = {}): KeyRecord {
  serial += 1;
  const hex = (Date.now().toString(16) + serial.toString(16).padStart(4, '0')).slice(-12).padStart(12, '0');
  return {
    id: `key_${hex}`,
    hash: hex.padStart(64, 'a'),
    tenant: policy.tenant ?? 'acme',
    label: '',
    createdAt: '2026-01-01T00:00:00.000Z',
    rotatedAt: '2026-01-01T00:00:00.000Z', // the id is not derived from this made-up hash
    ...(policy.limits ? { limits: policy.limits } : {}),
    ...(policy.budgets ? { budgets: policy.budgets } : {}),
  };
}

export function tenantsOf(records: Record<string, Omit<TenantRecord, 'tenant' | 'createdAt' | 'updatedAt'>> = {}) {
  return {
    lookup: async (tenant: string): Promise<TenantRecord | null> => {
      const record = records[tenant];
      return record === undefined ? null : { tenant, ...record, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
    },
  };
}

/** Collects what the limiter defers, so a test can wait for the deferred syncs. */
export function deferred() {
  const work: Promise<unknown>[] = [];
  return {
    waitUntil: (p: Promise<unknown>) => void work.push(p),
    settled: async () => {
      while (work.length > 0) await Promise.all(work.splice(0));
    },
  };
}

/** Waits, if needed, until at least `marginMs` remain in the current rate window (real clock). */
export async function awayFromWindowEdge(marginMs = 5_000): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < marginMs) await new Promise((r) => setTimeout(r, left + 50));
}

export const errorOf = async (promise: Promise<unknown>) => {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; code: string; type: string; message: string; headers: Record<string, string> };
  }
  throw new Error('expected a refusal');
};
