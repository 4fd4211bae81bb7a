// Reads files of public GitHub repositories at a pinned commit from a local clone, so the
// calibration data stays outside this repository and every number names the exact bytes it came
// from. The clones live under SWITCHYARD_CALIBRATION_DATA.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** A file of a public repository at one commit. */
export interface PinnedFile {
  /** owner/name on GitHub. */
  readonly repo: string;
  readonly commit: string;
  readonly path: string;
}

/** Files of `repo` at `commit`: pinnedAt(repo, commit)(path). */
export const pinnedAt =
  (repo: string, commit: string) =>
  (path: string): PinnedFile => ({ repo, commit, path });

export class CalibrationDataError extends Error {}

export const CALIBRATION_DATA_ENV = 'SWITCHYARD_CALIBRATION_DATA';

/** The folder holding the clones: SWITCHYARD_CALIBRATION_DATA, else a clear error saying how to make it. */
export function calibrationDataDir(repos: readonly string[]): string {
  const dir = process.env[CALIBRATION_DATA_ENV];
  if (dir === undefined || dir === '') {
    throw new CalibrationDataError(
      `${CALIBRATION_DATA_ENV} is not set. Point it at a folder of clones (full history):\n` +
        repos.map((r) => `  git clone https://github.com/${r} "$${CALIBRATION_DATA_ENV}/${r.split('/')[1]}"`).join('\n'),
    );
  }
  return resolve(dir);
}

/**
 * The git directory of `repo` under `dir`: a clone named after the repository (`alpaca_eval`,
 * with its `.git`, or bare), or a mirror laid out as `owner+name/repo`.
 */
export function gitDirOf(dir: string, repo: string): string {
  const [owner = '', name = ''] = repo.split('/');
  const candidates = [join(dir, name, '.git'), join(dir, name), join(dir, `${owner}+${name}`, 'repo'), join(dir, owner, name, '.git')];
  const found = candidates.find((c) => existsSync(join(c, 'HEAD')) && existsSync(join(c, 'objects')));
  if (found === undefined) {
    throw new CalibrationDataError(
      `no clone of ${repo} under ${dir} (looked for ${candidates.map((c) => c.slice(dir.length + 1)).join(', ')}); ` +
        `git clone https://github.com/${repo} "${join(dir, name)}"`,
    );
  }
  return found;
}

/** The file's bytes at its commit, as text. */
export function readPinned(dir: string, file: PinnedFile): string {
  const gitDir = gitDirOf(dir, file.repo);
  try {
    return execFileSync('git', ['--git-dir', gitDir, 'show', `${file.commit}:${file.path}`], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new CalibrationDataError(
      `cannot read ${file.path} at ${file.commit.slice(0, 12)} from ${gitDir}: ${stderr || (error as Error).message} ` +
        '(the clone needs that commit: fetch with full history)',
    );
  }
}

export function readJsonl(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}
