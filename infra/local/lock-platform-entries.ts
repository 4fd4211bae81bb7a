// Restores package-lock.json entries for workerd's per-platform binaries (darwin, windows).
//
// The npm registry reachable from this project's machines serves only the linux builds of
// @cloudflare/workerd-*, so `npm install` here cannot record the other platforms' optional
// packages, and `npm ci` then rejects its own lock ("Missing: @cloudflare/workerd-darwin-64").
// Each workerd in the lock declares those packages in optionalDependencies; this adds the
// matching lock entries (version, os, cpu; no integrity, as it cannot be fetched here). npm
// skips them on Linux by platform; on macOS and Windows they resolve from the public registry.
// Run after any `npm install` that rewrote the lock:  node infra/local/lock-platform-entries.ts
import { readFileSync, writeFileSync } from 'node:fs';

const PLATFORMS: Record<string, { os: string; cpu: string }> = {
  '@cloudflare/workerd-darwin-64': { os: 'darwin', cpu: 'x64' },
  '@cloudflare/workerd-darwin-arm64': { os: 'darwin', cpu: 'arm64' },
  '@cloudflare/workerd-linux-64': { os: 'linux', cpu: 'x64' },
  '@cloudflare/workerd-linux-arm64': { os: 'linux', cpu: 'arm64' },
  '@cloudflare/workerd-windows-64': { os: 'win32', cpu: 'x64' },
};

interface LockEntry {
  version?: string;
  dev?: boolean;
  optionalDependencies?: Record<string, string>;
  [field: string]: unknown;
}

const path = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockEntry> };
let added = 0;
for (const [location, entry] of Object.entries(lock.packages)) {
  if (!location.endsWith('node_modules/workerd') || !entry.optionalDependencies) continue;
  const parent = location.slice(0, -'workerd'.length); // where npm hoists the platform packages
  for (const [name, version] of Object.entries(entry.optionalDependencies)) {
    const platform = PLATFORMS[name];
    const key = `${parent}${name}`;
    if (!platform || lock.packages[key]) continue;
    lock.packages[key] = {
      version,
      cpu: [platform.cpu],
      ...(entry.dev ? { dev: true } : {}),
      license: 'Apache-2.0',
      optional: true,
      os: [platform.os],
      engines: { node: '>=16' },
    };
    added++;
  }
}
// npm keeps `packages` sorted by location.
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`${path}: ${added} platform entr${added === 1 ? 'y' : 'ies'} added`);
