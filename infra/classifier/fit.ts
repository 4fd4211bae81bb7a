// Offline calibration of the request classifier (issue 16). Fits the score on several labelled
// public sources (one intercept per source, weights shared), chooses every setting — which cue
// families are scored, the length prior's floor, the pull to the priors — by leave-one-source-out
// validation against prompt length, and reports each source left out in turn. Writes
// src/classify/weights.json and infra/classifier/CALIBRATION.md.
//
//   SWITCHYARD_CALIBRATION_DATA=/path/to/clones node_modules/.bin/node infra/classifier/fit.ts
//
// SWITCHYARD_CALIBRATION_DATA holds clones of lmarena/arena-hard-auto, yuchenlin/ZeroEval and
// tatsu-lab/alpaca_eval (full history); SWITCHYARD_CLASSIFIER_DATA the classifier-dev folder
// (default ../shared/data/classifier-dev). Nothing is copied into the repository.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFeatures, FEATURE_NAMES } from '../../src/classify/features.ts';
import { firedSignals } from '../../src/classify/signals.ts';
import { type ClassifierWeights, ClassifierWeightsSchema } from '../../src/classify/weights.ts';
import { displayPath, loadArenaHard, REPO_ROOT, resolveDataDir } from './datasets.ts';
import { evaluateSource, operatingPoint, type SourceEvaluation, thresholdFor } from './evaluate.ts';
import {
  chooseSetting, evaluateSetting, type FittedModel, fitSetting, leaveOneSourceOut, normalized, type Row, scoreRow, type Selection,
  type SettingResult, TARGET, toRows,
} from './loso.ts';
import { allSettings, describeSetting, FEATURE_SPECS, isScored, type Setting } from './model-spec.ts';
import { renderReport } from './report.ts';
import { byCommit, CalibrationDataError, type PinnedFile } from './sources/git-file.ts';
import { loadSources } from './sources/index.ts';
import type { LabelledSource } from './sources/labelled.ts';

const BOOTSTRAP = 2000;
const SELECTION_BOOTSTRAP = 500;
const SEED = 20261204;
/** Quality targets (share of all-strong quality, fit sources weighing the same) that place the tier boundaries. */
const LARGE_TARGET = TARGET;
const MEDIUM_TARGET = 0.98;

export interface NestedCheck {
  source: string;
  setting: Setting;
  evaluation: SourceEvaluation;
}

/** Selection redone without `outer`, fitted without it, judged on it: the whole procedure's honest estimate. */
function nestedCheck(rowsBySource: Map<string, Row[]>, fitSources: readonly string[], outer: string, settings: readonly Setting[]): NestedCheck {
  const inner = fitSources.filter((s) => s !== outer);
  const results = settings.map((s) => evaluateSetting(rowsBySource, inner, s));
  const { chosen } = chooseSetting(rowsBySource, inner, results, { resamples: SELECTION_BOOTSTRAP, seed: SEED });
  const model = fitSetting(inner.flatMap((s) => rowsBySource.get(s) ?? []), chosen.setting);
  const rows = rowsBySource.get(outer) ?? [];
  return { source: outer, setting: chosen.setting, evaluation: evaluateSource(outer, rows, (r) => scoreRow(model, r), { resamples: BOOTSTRAP, seed: SEED }) };
}

function weightsFile(
  model: FittedModel,
  setting: Setting,
  fitRows: readonly Row[],
  thresholds: [number, number],
  sources: readonly LabelledSource[],
  selection: Selection,
  leftOut: readonly SourceEvaluation[],
): ClassifierWeights {
  return {
    model: 'logistic',
    bias: round(model.bias, 4),
    sourceIntercepts: Object.fromEntries(Object.entries(model.intercepts).map(([s, b]) => [s, round(b, 4)])),
    features: FEATURE_NAMES.map((name, j) => {
      const scored = isScored(name, setting);
      const values = fitRows.map((r) => r.x[j] ?? 0);
      const varies = Math.max(...values) - Math.min(...values) > 1e-9;
      const floor = name === 'promptTokens' ? setting.lengthFloor : 0;
      return {
        name,
        normalize: FEATURE_SPECS[name].normalize,
        weight: scored ? round(Math.max(model.weights[j] ?? 0, floor), 4) : 0,
        prior: name === 'promptTokens' ? setting.lengthFloor : FEATURE_SPECS[name].prior,
        min: floor,
        source: !scored ? ('unscored' as const) : varies ? ('fitted' as const) : ('prior' as const),
      };
    }),
    thresholds,
    provenance: {
      script: 'infra/classifier/fit.ts',
      date: new Date().toISOString().slice(0, 10),
      report: 'infra/classifier/CALIBRATION.md',
      sources: sources.map((s) => ({
        name: s.name,
        use: s.use,
        items: s.items.length,
        positives: s.items.filter((i) => i.needsStrong).length,
        strongModel: s.strongModel,
        weakModel: s.weakModel,
        label: s.label,
        // Repositories and commits with a file count, not every file: weights.json ships in the bundle (CALIBRATION.md lists them all).
        files: [
          ...s.files.flatMap((f) => ('local' in f ? [{ path: displayPath(f.local), bytes: f.bytes }] : [])),
          ...byCommit(s.files.filter((f): f is PinnedFile => !('local' in f))).map((g) => ({ repo: g.repo, commit: g.commit, files: g.names.length })),
        ],
        ...(s.panel ? { panel: { strong: s.panel.strong, weak: s.panel.weak, band: s.panel.band } } : {}),
      })),
      setting: { ...setting, description: describeSetting(setting) },
      selection: {
        rule: 'leave-one-source-out over the fit sources; smallest worst-case (ratio - prompt-length ratio), then the simplest setting within one bootstrap standard error',
        best: describeSetting(selection.best.setting),
        bestWorstCase: round(selection.best.worst, 4),
        standardError: round(selection.standardError, 4),
        chosenWorstCase: round(selection.chosen.worst, 4),
      },
      thresholdTargets: { medium: MEDIUM_TARGET, large: LARGE_TARGET, scores: 'leave-one-source-out, fit sources weighing the same' },
      leftOut: Object.fromEntries(
        leftOut.map((e) => [e.source, { ratio: round(e.ratio.classifier, 4), lengthRatio: round(e.ratio.length, 4), classifierVsLength: round(e.ratio.classifierVsLength, 4) }]),
      ),
    },
  };
}

function main(): void {
  const dir = resolveDataDir();
  const sources = loadSources(dir);
  const rowsBySource = new Map(sources.map((s) => [s.name, toRows(s)]));
  const fitSources = sources.filter((s) => s.use === 'fit').map((s) => s.name);
  const evalSources = sources.filter((s) => s.use === 'evaluate').map((s) => s.name);
  const fitRows = fitSources.flatMap((s) => rowsBySource.get(s) ?? []);

  // 1. Every setting, each fit source left out in turn.
  const settings = allSettings();
  const results: SettingResult[] = settings.map((s) => evaluateSetting(rowsBySource, fitSources, s));
  const selection = chooseSetting(rowsBySource, fitSources, results, { resamples: SELECTION_BOOTSTRAP, seed: SEED });
  const setting = selection.chosen.setting;
  console.log(`chose: ${describeSetting(setting)} (best: ${describeSetting(selection.best.setting)}, one SE ${selection.standardError.toFixed(4)})`);

  // 2. The shipped model: the chosen setting fitted on every fit source.
  const model = fitSetting(fitRows, setting);

  // 3. Each source left out in turn: fit sources scored by the chosen setting fitted without them;
  //    evaluation-only sources by the shipped model, which never saw them.
  const loso = leaveOneSourceOut(rowsBySource, fitSources, setting);
  const scoreFor = (source: string) => {
    const scores = loso.get(source)?.scores;
    return scores ? (r: Row) => scores.get(r) ?? 0 : (r: Row) => scoreRow(model, r);
  };
  const leftOut = [...fitSources, ...evalSources].map((s) => evaluateSource(s, rowsBySource.get(s) ?? [], scoreFor(s), { resamples: BOOTSTRAP, seed: SEED }));
  // The pre-registered secondary measure: the same left-out models judged on each source's single pair.
  const onPair = [...fitSources, ...evalSources].map((s) => {
    const source = sources.find((x) => x.name === s);
    const left = loso.get(s)?.model ?? model;
    return evaluateSource(s, source ? toRows(source, source.pairItems) : [], (r) => scoreRow(left, r), { resamples: BOOTSTRAP, seed: SEED });
  });
  const inSample = fitSources.map((s) => evaluateSource(s, rowsBySource.get(s) ?? [], (r) => scoreRow(model, r), { resamples: BOOTSTRAP, seed: SEED }));
  // A setting the rule did not ship, for comparison: fit sources left out in turn, evaluation-only sources by it fitted on all fit sources.
  const comparison = (other: Setting) => {
    const otherLoso = leaveOneSourceOut(rowsBySource, fitSources, other);
    const otherModel = fitSetting(fitRows, other);
    return [
      ...fitSources.map((s) => {
        const scores = otherLoso.get(s)?.scores;
        return evaluateSource(s, rowsBySource.get(s) ?? [], (r) => scores?.get(r) ?? 0, { resamples: BOOTSTRAP, seed: SEED });
      }),
      ...evalSources.map((s) => evaluateSource(s, rowsBySource.get(s) ?? [], (r) => scoreRow(otherModel, r), { resamples: BOOTSTRAP, seed: SEED })),
    ];
  };
  const bestComparison = comparison(selection.best.setting);
  // The third run's new family at its best (smallest worst case, as the rule orders), whether or not it ships.
  const taskBest = results
    .filter((r) => r.setting.families.includes('task-structure'))
    .sort((a, b) => a.worst - b.worst || a.mean - b.mean)[0];
  const taskStructure = taskBest ? { result: taskBest, leftOut: comparison(taskBest.setting) } : undefined;
  console.log('nested check (selection redone without each fit source)...');
  const nested = fitSources.map((s) => nestedCheck(rowsBySource, fitSources, s, settings));

  // 4. Tier thresholds from the left-out scores, each left-out model given the shipped intercept
  //    (the mean over all fit sources) so its scores sit on the scale the thresholds are used on.
  const bySource = fitSources.map((s) => {
    const left = loso.get(s)?.model ?? model;
    const centered = { ...left, bias: model.bias };
    return { rows: rowsBySource.get(s) ?? [], score: (r: Row) => scoreRow(centered, r) };
  });
  const large = thresholdFor(bySource, LARGE_TARGET);
  const medium = Math.min(thresholdFor(bySource, MEDIUM_TARGET), large);
  const operating = [...fitSources, ...evalSources].map((s) => {
    const rows = rowsBySource.get(s) ?? [];
    const shipped = (r: Row) => scoreRow(model, r);
    return { source: s, large: operatingPoint(rows, shipped, large), medium: operatingPoint(rows, shipped, medium) };
  });

  const weights = weightsFile(model, setting, fitRows, [medium, large], sources, selection, leftOut);
  ClassifierWeightsSchema.parse(weights);
  writeFileSync(join(REPO_ROOT, 'src/classify/weights.json'), `${JSON.stringify(weights, null, 2)}\n`);

  const detectorChecks = loadArenaHard(dir).map((p) => {
    const f = extractFeatures(p.request);
    return { source: p.source, category: p.category, signals: firedSignals(f), score: scoreRow(model, { x: normalized(f) } as Row) };
  });
  writeFileSync(
    join(REPO_ROOT, 'infra/classifier/CALIBRATION.md'),
    renderReport({
      weights, sources, setting, selection, results, leftOut, onPair, inSample, bestComparison, taskStructure, nested, operating, detectorChecks,
      // Per source, the scored cues whose value varies within it: where none does, the score ranks by estimated tokens alone.
      varyingCues: Object.fromEntries(
        sources.map((src) => {
          const rows = rowsBySource.get(src.name) ?? [];
          const varying = FEATURE_NAMES.filter((name, j) => {
            if (name === 'promptTokens' || !isScored(name, setting)) return false;
            const values = rows.map((r) => r.x[j] ?? 0);
            return Math.max(...values) - Math.min(...values) > 1e-9;
          });
          return [src.name, varying];
        }),
      ),
      // The task-structure cues per source, scored or not: do they vary within a task at all?
      cueSpread: Object.fromEntries(
        sources.map((src) => {
          const rows = rowsBySource.get(src.name) ?? [];
          const spread = FEATURE_NAMES.filter((name) => FEATURE_SPECS[name].family === 'task-structure').map((name) => {
            const values = rows.map((r) => r.raw[name]);
            return { feature: name, share: values.filter((v) => v > 0).length / Math.max(1, values.length), distinct: new Set(values).size };
          });
          return [src.name, spread];
        }),
      ),
      supportByFeature: Object.fromEntries(FEATURE_NAMES.map((name, j) => [name, fitRows.filter((r) => (r.x[j] ?? 0) > 0).length])),
      fitCount: fitRows.length,
      preregistration: readFileSync(join(REPO_ROOT, 'infra/classifier/PREREGISTRATION.md'), 'utf8').replace(/^# /gm, '## '),
      selectionResamples: SELECTION_BOOTSTRAP,
    }),
  );
  for (const e of [...leftOut, ...onPair.map((e) => ({ ...e, source: `${e.source} (pair)` }))]) {
    console.log(
      `${e.source.padEnd(19)} left out: share ratio vs random ${e.ratio.classifier.toFixed(3)} (prompt length ${e.ratio.length.toFixed(3)}), ` +
        `vs length ${e.ratio.classifierVsLength.toFixed(3)}`,
    );
  }
  console.log(`thresholds ${medium} / ${large}; wrote src/classify/weights.json and infra/classifier/CALIBRATION.md`);
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));


try {
  main();
} catch (error) {
  if (!(error instanceof CalibrationDataError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
