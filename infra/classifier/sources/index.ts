// Every labelled calibration source, in the order the report lists them.
import { loadAlpacaEval } from './alpaca-eval.ts';
import { loadArenaBench } from './arena-bench.ts';
import { loadCrux } from './crux.ts';
import { calibrationDataDir } from './git-file.ts';
import type { LabelledSource } from './labelled.ts';
import { loadMtBench } from './mt-bench.ts';

export const PUBLIC_REPOS = ['lmarena/arena-hard-auto', 'yuchenlin/ZeroEval', 'tatsu-lab/alpaca_eval'] as const;

/** Loads all four sources: MT-Bench from the classifier-dev folder, the rest from the clones. */
export function loadSources(classifierDevDir: string): LabelledSource[] {
  const clones = calibrationDataDir(PUBLIC_REPOS);
  return [loadMtBench(classifierDevDir), loadArenaBench(clones), loadCrux(clones), loadAlpacaEval(clones)];
}
