import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { strongPreferred } from '../../../infra/classifier/sources/alpaca-eval.ts';
import { gradeCrux } from '../../../infra/classifier/sources/crux.ts';
import { CALIBRATION_DATA_ENV, CalibrationDataError, calibrationDataDir, readPinned } from '../../../infra/classifier/sources/git-file.ts';

describe('CRUXEval grading (as ZeroEval grades it)', () => {
  it.each([
    ['a JSON answer equal to the expected output', '{"reasoning": "…", "answer": "[1, 2]"}', '[1, 2]', 1],
    ['quotes around either side stripped', `{"answer": "'abc'"}`, '"abc"', 1],
    ['a JSON list, compared by its Python str()', '{"answer": [1, "a", true]}', "[1, 'a', True]", 1],
    ['a wrong answer', '{"answer": "[2, 1]"}', '[1, 2]', 0],
    ['broken JSON, answer found by pattern', 'Sure! "answer": "42", and more', '42', 1],
    ['a newline in the answer, escaped before comparing', '{"answer": "a\\nb"}', 'a\\nb', 1],
    ['no answer at all', 'I cannot tell.', '42', 0],
    ['both empty', '{"answer": ""}', "''", 1],
  ])('%s', (_what, output, expected, grade) => {
    expect(gradeCrux(output, expected)).toBe(grade);
  });
});

describe('AlpacaEval preferences', () => {
  const annotation = (preference: number | null, strongSide: 1 | 2) => ({
    instruction: 'x',
    generator_1: strongSide === 1 ? 'gpt4' : 'mixtral',
    generator_2: strongSide === 2 ? 'gpt4' : 'mixtral',
    preference,
  });

  it('reads the preference for the strong model whichever side it sat on', () => {
    expect(strongPreferred(annotation(1, 1), 'gpt4')).toBe(1);
    expect(strongPreferred(annotation(2, 1), 'gpt4')).toBe(0);
    expect(strongPreferred(annotation(2, 2), 'gpt4')).toBe(1);
    expect(strongPreferred(annotation(1.5, 2), 'gpt4')).toBe(0.5);
  });

  it('drops an annotation without a verdict', () => {
    expect(strongPreferred(annotation(null, 1), 'gpt4')).toBeUndefined();
    expect(strongPreferred(annotation(3, 1), 'gpt4')).toBeUndefined();
  });
});

describe('pinned files from local clones', () => {
  const saved = process.env[CALIBRATION_DATA_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[CALIBRATION_DATA_ENV];
    else process.env[CALIBRATION_DATA_ENV] = saved;
  });

  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

  function repoWithHistory(): { dir: string; first: string } {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-clones-'));
    const work = join(dir, 'data-repo');
    mkdirSync(join(work, 'data'), { recursive: true });
    git(work, 'init', '-q');
    writeFileSync(join(work, 'data', 'q.jsonl'), '{"v":1}\n');
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', 'first');
    const first = git(work, 'rev-parse', 'HEAD');
    writeFileSync(join(work, 'data', 'q.jsonl'), '{"v":2}\n');
    git(work, 'commit', '-q', '-am', 'second');
    return { dir, first };
  }

  it('reads a file as it was at the pinned commit, from a clone or a bare owner+name mirror', () => {
    const { dir, first } = repoWithHistory();
    expect(readPinned(dir, { repo: 'someone/data-repo', commit: first, path: 'data/q.jsonl' })).toBe('{"v":1}\n');
    const mirrors = mkdtempSync(join(tmpdir(), 'switchyard-mirrors-'));
    mkdirSync(join(mirrors, 'someone+data-repo'));
    execFileSync('git', ['clone', '-q', '--bare', join(dir, 'data-repo'), join(mirrors, 'someone+data-repo', 'repo')]);
    expect(readPinned(mirrors, { repo: 'someone/data-repo', commit: first, path: 'data/q.jsonl' })).toBe('{"v":1}\n');
  });

  it('says how to get what is missing: the clone, or the commit', () => {
    const { dir } = repoWithHistory();
    expect(() => readPinned(dir, { repo: 'someone/elsewhere', commit: 'a'.repeat(40), path: 'x' })).toThrow(CalibrationDataError);
    expect(() => readPinned(dir, { repo: 'someone/elsewhere', commit: 'a'.repeat(40), path: 'x' })).toThrow(
      /git clone https:\/\/github.com\/someone\/elsewhere/,
    );
    expect(() => readPinned(dir, { repo: 'someone/data-repo', commit: 'b'.repeat(40), path: 'data/q.jsonl' })).toThrow(/needs that commit/);
  });

  it('needs the clones folder named, and lists the clones to make', () => {
    delete process.env[CALIBRATION_DATA_ENV];
    expect(() => calibrationDataDir(['a/b', 'c/d'])).toThrow(/SWITCHYARD_CALIBRATION_DATA is not set[\s\S]*github.com\/c\/d/);
    process.env[CALIBRATION_DATA_ENV] = '/tmp/somewhere';
    expect(calibrationDataDir(['a/b'])).toBe('/tmp/somewhere');
  });
});
