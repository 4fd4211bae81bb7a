// `npm ci` (what CI runs) rejects a lock that lacks an entry for any optional dependency, and
// `npm install` on this project's machines drops workerd's non-linux binaries from the lock
// (the registry here serves only the linux builds). Catch that here, before CI does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
  version?: string;
}

describe('package-lock.json', () => {
  it('has an entry for every platform binary each workerd declares (else: node infra/local/lock-platform-entries.ts)', () => {
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, LockEntry> };
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      if (!location.endsWith('node_modules/workerd')) continue;
      const parent = location.slice(0, -'workerd'.length);
      for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
        if (lock.packages[`${parent}${name}`]?.version !== version) missing.push(`${parent}${name}@${version}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
