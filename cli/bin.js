#!/usr/bin/env node
// The CLI is TypeScript run by Node's own type stripping (Node >= 22.18 / 24). When an
// older Node is first on PATH, re-run with the Node 24 that the project's devDependency installs.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
if (process.features.typescript) {
  await import(main);
} else {
  const local = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));
  if (!existsSync(local)) {
    console.error(`switchyard needs Node >= 22.18 (found ${process.version}); run \`npm install\` first.`);
    process.exit(1);
  }
  const run = spawnSync(local, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
