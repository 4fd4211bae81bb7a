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

/**
 * Named files of `repo`, pinned at `commit` by default: `pinnedFiles(repo, commit, paths)()` gives the
 * files a reader reads, `pinnedFiles(…)(otherCommit)` the same paths at another commit (tests).
 */
export const pinnedFiles =
  <K extends string>(repo: string, commit: string, paths: Readonly<Record<K, string>>) =>
  (at = commit): Record<K, PinnedFile> =>
    Object.fromEntries(Object.entries<string>(paths).map(([key, path]) => [key, { repo, commit: at, path }])) as Record<K, PinnedFile>;

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

function git(dir: string, repo: string, commit: string, what: string, args: readonly string[]): string {
  const gitDir = gitDirOf(dir, repo);
  try {
    return execFileSync('git', ['--git-dir', gitDir, ...args], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim() ?? '';
    throw new CalibrationDataError(
      `cannot read ${what} at ${commit.slice(0, 12)} from ${gitDir}: ${stderr || (error as Error).message} ` +
        '(the clone needs that commit: fetch with full history)',
    );
  }
}

/** The file's bytes at its commit, as text. */
export function readPinned(dir: string, file: PinnedFile): string {
  return git(dir, file.repo, file.commit, file.path, ['show', `${file.commit}:${file.path}`]);
}

/** The files in `folder` at the commit (directly in it, or at any depth), sorted by path; an error when there are none. */
export function listPinned(dir: string, folder: PinnedFile, options: { recursive?: boolean } = {}): PinnedFile[] {
  const prefix = `${folder.path.replace(/\/+$/, '')}/`;
  const args = ['ls-tree', ...(options.recursive ? ['-r'] : []), '--name-only', folder.commit, prefix];
  const out = git(dir, folder.repo, folder.commit, prefix, args);
  const paths = out.split('\n').filter((p) => p !== '' && p.startsWith(prefix));
  if (paths.length === 0) throw new CalibrationDataError(`no files in ${prefix} at ${folder.commit.slice(0, 12)} of ${folder.repo}`);
  return paths.sort().map((path) => ({ repo: folder.repo, commit: folder.commit, path }));
}

export function readJsonl(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

/** Pinned files of one repository at one commit, for citing many files at once. */
export interface PinnedGroup {
  readonly repo: string;
  readonly commit: string;
  /** The folder every file is in ('' for the root), ending in '/' when not empty. */
  readonly folder: string;
  /** Paths below `folder`, sorted. */
  readonly names: readonly string[];
}

/** Groups pinned files by repository and commit, in order of first appearance, under their deepest common folder. */
export function byCommit(files: readonly PinnedFile[]): PinnedGroup[] {
  const groups = new Map<string, { repo: string; commit: string; paths: string[] }>();
  for (const f of files) {
    const key = `${f.repo}@${f.commit}`;
    const g = groups.get(key) ?? { repo: f.repo, commit: f.commit, paths: [] };
    g.paths.push(f.path);
    groups.set(key, g);
  }
  return [...groups.values()].map(({ repo, commit, paths }) => {
    const folder = commonFolder(paths);
    return { repo, commit, folder, names: paths.map((p) => p.slice(folder.length)).sort() };
  });
}

function commonFolder(paths: readonly string[]): string {
  const dirs = paths.map((p) => p.split('/').slice(0, -1));
  const first = dirs[0] ?? [];
  let depth = 0;
  while (depth < first.length && dirs.every((d) => d[depth] === first[depth])) depth++;
  return depth === 0 ? '' : `${first.slice(0, depth).join('/')}/`;
}
