// The local data folder (../shared/data/classifier-dev, never copied into the repo): MT-Bench's
// judged answers (a labelled source, read by sources/mt-bench.ts) and Arena-Hard's prompts
// (category labels only, used to show where the detectors fire).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClassifyRequest } from '../../src/classify/request.ts';
import { CalibrationDataError, readJsonl } from './sources/git-file.ts';
import { userTurn } from './sources/labelled.ts';
import { MT_BENCH_FILES } from './sources/mt-bench.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const ARENA_HARD_FILES = {
  v1: 'arena-hard/arena-hard-v0.1_question.jsonl',
  v2: 'arena-hard/arena-hard-v2.0_question.jsonl',
} as const;

export const CLASSIFIER_DEV_ENV = 'SWITCHYARD_CLASSIFIER_DATA';

/** SWITCHYARD_CLASSIFIER_DATA, else ../shared/data/classifier-dev beside the checkout. */
export function resolveDataDir(): string {
  const dir = resolve(REPO_ROOT, process.env[CLASSIFIER_DEV_ENV] ?? '../shared/data/classifier-dev');
  const missing = [...Object.values(MT_BENCH_FILES), ...Object.values(ARENA_HARD_FILES)].filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new CalibrationDataError(
      `classifier data not found in ${dir} (missing: ${missing.join(', ')}).\n` +
        `Set ${CLASSIFIER_DEV_ENV} to the classifier-dev folder (MT-Bench judgements, Arena-Hard prompts).`,
    );
  }
  return dir;
}

export function displayPath(path: string): string {
  return relative(REPO_ROOT, path);
}

/** A prompt with a category label but no quality label: shows where detectors fire, fits nothing. */
export interface CategorizedPrompt {
  source: string;
  category: string;
  request: ClassifyRequest;
}

export function loadArenaHard(dir: string): CategorizedPrompt[] {
  const read = (file: string) => readJsonl(readFileSync(join(dir, file), 'utf8'));
  const v1 = read(ARENA_HARD_FILES.v1) as { prompt: string }[];
  const v2 = read(ARENA_HARD_FILES.v2) as { prompt: string; subcategory: string }[];
  return [
    ...v1.map((p) => ({ source: 'arena-hard-v0.1', category: 'all', request: userTurn(p.prompt) })),
    ...v2.map((p) => ({ source: 'arena-hard-v2.0', category: p.subcategory, request: userTurn(p.prompt) })),
  ];
}
