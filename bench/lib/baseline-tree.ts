// The code a benchmark compares against (`--baseline <ref>`): folders of the project as they were
// at a git ref, extracted under the git-ignored .switchyard/ (inside the project, so packages
// resolve from its node_modules; outside bench/, which the type check includes).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './children.ts';

/** `folders` at `ref` in a fresh .switchyard/<name>; its path and the short commit. */
export function baselineTree(ref: string, name: string, folders: readonly string[]): { dir: string; commit: string } {
  const dir = resolve(ROOT, '.switchyard', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const commit = execFileSync('git', ['rev-parse', '--short', `${ref}^{commit}`], { cwd: ROOT, encoding: 'utf8' }).trim();
  const archive = execFileSync('git', ['archive', '--format=tar', commit, ...folders], { cwd: ROOT, maxBuffer: 256 * 2 ** 20 });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  return { dir, commit };
}
