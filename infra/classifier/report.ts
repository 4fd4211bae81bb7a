// Renders infra/classifier/CALIBRATION.md from what fit.ts measured: every number in it comes
// from the run that wrote src/classify/weights.json.
import type { ClassifierWeights, Normalization } from '../../src/classify/weights.ts';
import { type SourceEvaluation, TIE_RATIO, verdict } from './evaluate.ts';
import type { NestedCheck } from './fit.ts';
import { TARGET, type Selection, type SettingResult } from './loso.ts';
import { allSettings, describeSetting, LAMBDAS, LENGTH_FLOORS, OPTIONAL_FAMILIES, type Setting } from './model-spec.ts';
import { byCommit, CALIBRATION_DATA_ENV, type PinnedFile } from './sources/git-file.ts';
import type { LabelledSource } from './sources/labelled.ts';
import { PANEL_BAND } from './sources/panel.ts';

export interface Report {
  weights: ClassifierWeights;
  sources: readonly LabelledSource[];
  setting: Setting;
  selection: Selection;
  results: readonly SettingResult[];
  /** Each source left out in turn, scored by the chosen setting fitted without it (evaluation-only sources: the shipped model). */
  leftOut: readonly SourceEvaluation[];
  /** The same left-out models judged on each source's single pair (the pre-registered secondary measure). */
  onPair: readonly SourceEvaluation[];
  /** The shipped model on the sources it was fitted on (optimistic). */
  inSample: readonly SourceEvaluation[];
  /** The best-by-point-estimate setting, for comparison (fit sources left out in turn, then the evaluation-only ones). */
  bestComparison: readonly SourceEvaluation[];
  /** The best setting scoring the task-structure family (third run), for comparison, whether or not it ships. */
  taskStructure: { result: SettingResult; leftOut: readonly SourceEvaluation[] } | undefined;
  nested: readonly NestedCheck[];
  operating: readonly { source: string; large: { share: number; ofAllStrong: number }; medium: { share: number; ofAllStrong: number } }[];
  detectorChecks: readonly { source: string; category: string; signals: readonly string[]; score: number }[];
  supportByFeature: Record<string, number>;
  /** Per source, each task-structure cue's share of prompts where it is above 0 and its number of distinct values. */
  cueSpread: Record<string, readonly { feature: string; share: number; distinct: number }[]>;
  /** Per source, the scored cues (length aside) whose value varies within it. */
  varyingCues: Record<string, readonly string[]>;
  fitCount: number;
  selectionResamples: number;
  /** PREREGISTRATION.md, written before the run, inlined as it stands. */
  preregistration: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));
const ci = ([lo, hi]: [number, number]) => `${f3(lo)}–${f3(hi)}`;

function normalization(n: Normalization): string {
  if (n.kind === 'log-range') return `log-range ${n.min}..${n.max}`;
  if (n.kind === 'log1p-cap') return `log1p, cap ${n.cap}`;
  return `linear, max ${n.max}`;
}

function filesCell(files: LabelledSource['files']): string {
  const local = files.flatMap((f) => ('local' in f ? [`\`${f.local.replace(/^.*\/(classifier-dev\/)/, '../shared/data/$1')}\` (${f.bytes} bytes)`] : []));
  const pinned = byCommit(files.filter((f): f is PinnedFile => !('local' in f))).map(
    (g) =>
      `[${g.repo}](https://github.com/${g.repo}) @ \`${g.commit.slice(0, 12)}\`: ` +
      (g.names.length === 1 ? `\`${g.folder}${g.names[0]}\`` : `in \`${g.folder}\`, ${g.names.length} files: ${g.names.map((n) => `\`${n}\``).join(', ')}`),
  );
  return [...local, ...pinned].join('<br>');
}

function panelCell(s: LabelledSource): string {
  if (s.panel === undefined) return `${s.strongModel} / ${s.weakModel}`;
  return `strong: ${s.panel.strong.join(', ')}<br>weak: ${s.panel.weak.join(', ')}<br>(of ${s.panel.candidates} judged models)`;
}

interface Tally {
  beats: string[];
  ties: string[];
  losesBeyond: string[];
  losesWithin: string[];
}

function tally(rows: readonly SourceEvaluation[]): Tally {
  const of = (v: string) => rows.filter((e) => verdict(e) === v).map((e) => e.source);
  return { beats: of('beats'), ties: of('ties'), losesBeyond: of('loses beyond the interval of length'), losesWithin: of('loses, within the interval of length') };
}

/** Which wins over length survive the bootstrap: the interval of classifier ÷ length wholly below 1. */
function significantLine(rows: readonly SourceEvaluation[]): string {
  const wins = rows.filter((e) => verdict(e) === 'beats');
  if (wins.length === 0) return '';
  const clear = wins.filter((e) => e.ci.classifierVsLength[1] < 1).map((e) => e.source);
  return (
    `Of the ${wins.length} wins, ${clear.length === 0 ? 'none has' : `${clear.length} (${clear.join(', ')}) ${clear.length === 1 ? 'has' : 'have'}`} ` +
    'a 95% interval of classifier ÷ length wholly below 1.'
  );
}

function tallyLine(t: Tally, total: number): string {
  const list = (xs: string[]) => (xs.length ? ` (${xs.join(', ')})` : '');
  return (
    `beats on ${t.beats.length} of ${total} sources${list(t.beats)}, ties on ${t.ties.length}${list(t.ties)}` +
    (t.losesWithin.length ? `, loses within length's interval on ${t.losesWithin.length}${list(t.losesWithin)}` : '') +
    (t.losesBeyond.length ? `, loses beyond length's own interval on ${t.losesBeyond.join(', ')}` : ', and never loses beyond the interval of length')
  );
}

function leftOutTable(rows: readonly SourceEvaluation[], scoredBy: (e: SourceEvaluation) => string): string {
  return [
    '| source left out | scored by | items (questions) | random share | length share | classifier share | classifier ÷ random | length ÷ random | classifier ÷ length | AUC classifier / length | verdict |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows.map(
      (e) =>
        `| ${e.source} | ${scoredBy(e)} | ${e.items} (${e.groups}) | ${pct(e.share.random)} | ${pct(e.share.length)} | ${pct(e.share.classifier)} | ` +
        `**${f3(e.ratio.classifier)}** (${ci(e.ci.classifier)}) | ${f3(e.ratio.length)} (${ci(e.ci.length)}) | ` +
        `${f3(e.ratio.classifierVsLength)} (${ci(e.ci.classifierVsLength)}) | ${f3(e.auc.classifier)} / ${f3(e.auc.length)} | ${verdict(e)} |`,
    ),
  ].join('\n');
}

function settingRow(r: SettingResult, fitSources: readonly string[], mark = ''): string {
  return `| ${mark}${describeSetting(r.setting)} | ${f3(r.worst)} | ${f3(r.mean)} | ${fitSources.map((s) => `${f3(r.bySource[s]?.ratio ?? Number.NaN)}`).join(' | ')} |`;
}

function detectorTable(checks: Report['detectorChecks']): string {
  const groups = new Map<string, Report['detectorChecks'][number][]>();
  for (const c of checks) {
    const key = `${c.source} | ${c.category}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const signals = ['code-block', 'code', 'math', 'reasoning', 'constraints', 'non-english', 'long-prompt'];
  const rate = (cs: Report['detectorChecks'][number][], signal: string) => pct(cs.filter((c) => c.signals.includes(signal)).length / cs.length);
  return [
    `| set | category | prompts | ${signals.join(' | ')} | mean score |`,
    `|---|---|---:|${signals.map(() => '---:').join('|')}|---:|`,
    ...[...groups.entries()].map(([key, cs]) => `| ${key} | ${cs.length} | ${signals.map((s) => rate(cs, s)).join(' | ')} | ${f2(cs.reduce((s, c) => s + c.score, 0) / cs.length)} |`),
  ].join('\n');
}

export function renderReport(r: Report): string {
  const w = r.weights;
  const p = w.provenance as { date: string };
  const fitSources = r.sources.filter((s) => s.use === 'fit').map((s) => s.name);
  const evalSources = r.sources.filter((s) => s.use === 'evaluate');
  const [medium, large] = w.thresholds;
  const scored = w.features.filter((f) => f.source !== 'unscored');
  const unscored = w.features.filter((f) => f.source === 'unscored').map((f) => `\`${f.name}\``);
  const length = w.features.find((f) => f.name === 'promptTokens');
  const primary = tally(r.leftOut);
  const secondary = tally(r.onPair);
  // The pre-registered criterion: a majority of the left-out sources beaten, none lost beyond length's interval.
  const holds = primary.beats.length * 2 > r.leftOut.length && primary.losesBeyond.length === 0;
  const n = allSettings().length;
  // The best setting of each family combination, to show what each cue family does when left out.
  const byFamilies = new Map<string, SettingResult>();
  for (const res of r.results) {
    const key = res.setting.families.join(', ') || '(structural only)';
    const prev = byFamilies.get(key);
    if (prev === undefined || res.worst < prev.worst) byFamilies.set(key, res);
  }
  const familyRows = [...byFamilies.values()].sort((a, b) => a.worst - b.worst);
  const nestedRows = r.nested.map((c) => c.evaluation);

  return `# Classifier calibration

Generated by \`infra/classifier/fit.ts\` on ${p.date}; every number below is as measured by that run.
Rerun with \`${CALIBRATION_DATA_ENV}=<folder of clones> node_modules/.bin/node infra/classifier/fit.ts\`
(MT-Bench from \`SWITCHYARD_CLASSIFIER_DATA\`, default \`../shared/data/classifier-dev\`). No third-party
data is kept in this repository: the script reads the files below at the pinned commits from local
clones (\`git clone https://github.com/<repo>\` into that folder, full history).

## The score

score = sigmoid(bias + Σ weight · normalized feature). Two kinds of terms:

- **The length prior**: prompt tokens (estimated from the text, exact in length whatever the size), on a
  log scale from 1 to 2^20 tokens, so every doubling of a prompt adds the same. Its weight is held at or
  above a floor (${length?.min}) that fitting can raise but never lower: wherever no cue fires, requests are ranked
  exactly by their length, so the score cannot do worse than its length prior on traffic whose cues are silent.
- **Cues**, each with a weight ≥ 0 (evidence only ever raises the score): ${scored
    .filter((f) => f.name !== 'promptTokens')
    .map((f) => `\`${f.name}\``)
    .join(', ')}.
  Scored cue families are a setting chosen by validation (below). Signals not chosen (${unscored.join(', ')})
  are still detected and reported in \`signals\` and \`--explain\`, with weight 0.

The fit has one intercept per source (each source's own base rate of "needs the strong model") and shared
weights; the shipped bias is the mean of the per-source intercepts. The score ranks requests; its
absolute value is not a calibrated probability for any particular traffic.

| feature | normalization | prior | floor | weight | source | fit items with feature > 0 |
|---|---|---:|---:|---:|---|---:|
${w.features
  .map((f) => `| \`${f.name}\` | ${normalization(f.normalize)} | ${f.prior} | ${f.min} | ${f.weight} | ${f.source} | ${r.supportByFeature[f.name] ?? 0} of ${r.fitCount} |`)
  .join('\n')}

Per-source intercepts: ${Object.entries(w.sourceIntercepts).map(([s, b]) => `${s} ${b}`).join(', ')}; shipped bias ${w.bias}.

## Data

| source | files (repository @ commit: path) | licence | named strong / weak model | panels (pre-registered band ±${PANEL_BAND}) | items (questions) | needs strong (panel / pair) | used for |
|---|---|---|---|---|---:|---:|---|
${r.sources
  .map((s) => {
    const groups = new Set(s.items.map((i) => i.group)).size;
    const use = s.use === 'fit' ? 'fit, and left out in turn' : 'evaluation only (never fitted on, never used to choose)';
    const positives = (items: LabelledSource['items']) => items.filter((i) => i.needsStrong).length;
    return (
      `| ${s.title} | ${filesCell(s.files)} | ${s.license} | ${s.strongModel} / ${s.weakModel} | ${s.panel ? panelCell(s) : 'the pair only'} | ` +
      `${s.items.length} (${groups}) | ${positives(s.items)} / ${positives(s.pairItems)} | ${use} |`
    );
  })
  .join('\n')}

Quality and label, per source:
${r.sources.map((s) => `- **${s.name}**: quality = ${s.quality}; needs the strong model when ${s.label}.`).join('\n')}
- MT-Bench turn-2 requests are [user turn 1, the strong model's turn-1 answer, user turn 2], the same
  request whichever model is scored.
- Not used for anything: lm-sys/RouteLLM's evaluation data, MMLU, GSM8K (the issue's external check
  is built from them).

## The measure

For one source: send the share s of requests with the highest scores to the strong model and the rest to
the weak one; the **strong share** is the smallest s whose mean quality reaches ${pct(TARGET)} of all-strong
quality (ties in the score split at random in expectation). Random routing's expected quality is the
straight line from all-weak to all-strong. Reported: the classifier's strong share ÷ random's
("classifier ÷ random", lower is better, 1 = no better than random), the same for prompt length in
characters ("length ÷ random"), and classifier share ÷ length share. Intervals: 95% percentile bootstrap
over the source's questions (${r.leftOut[0]?.resamples ?? 0} resamples; both turns of an MT-Bench question move together).
A difference in ratio under ${TIE_RATIO} is reported as a tie.

## How the settings were chosen

Every combination of ${n} settings: the optional cue families on top of length and the structural cues
(${OPTIONAL_FAMILIES.join(', ')}: every subset), the length floor (${LENGTH_FLOORS.join(', ')}) and the pull towards the
priors λ (${LAMBDAS.join(', ')}). Each was fitted on ${fitSources.length - 1} of the fit sources (${fitSources.join(', ')}) and
measured on the one left out, for each in turn. AlpacaEval took no part (licence).

Rule: the best setting has the smallest **worst case** over left-out sources of
(classifier ÷ random − length ÷ random), robustness before average gain. The measure is noisy (a few
items decide a 95% share), so by the one-standard-error rule the **simplest** setting whose worst case is within
one bootstrap standard error (${r.selectionResamples} resamples of every left-out source) of the best ships
(simplest: fewest cue families, then the highest length floor, then the strongest pull to the priors).
The one-standard-error step was added after a first run; see the caveats.

- Best worst case: ${describeSetting(r.selection.best.setting)}: ${f3(r.selection.best.worst)}; its bootstrap standard error ${f3(r.selection.standardError)}.
- **Shipped**: ${describeSetting(r.setting)}: worst case ${f3(r.selection.chosen.worst)}.

The best setting of each cue-family combination (worst case and mean over left-out fit sources of the
difference to prompt length; then each left-out source's classifier ÷ random):

| setting | worst case | mean | ${fitSources.join(' | ')} |
|---|---:|---:|${fitSources.map(() => '---:').join('|')}|
${familyRows.map((res) => settingRow(res, fitSources, res.setting.families.join() === r.setting.families.join() ? '**shipped family set** · ' : '')).join('\n')}
| prompt length alone | 0 | 0 | ${fitSources.map((s) => f3(r.leftOut.find((e) => e.source === s)?.ratio.length ?? Number.NaN)).join(' | ')} |

## Results: each source left out in turn

The shipped setting; each fit source scored by that setting fitted on the other fit sources, AlpacaEval
by the shipped weights (fitted on all fit sources, never on it).

${leftOutTable(r.leftOut, (e) => (fitSources.includes(e.source) ? `fitted on ${fitSources.filter((s) => s !== e.source).join(' + ')}` : 'shipped weights'))}

Against prompt length: ${tallyLine(primary, r.leftOut.length)}.
${significantLine(r.leftOut)}
Within each source the shipped score can only rank differently from length in characters where a scored
cue varies, or where estimated tokens and characters disagree (code, non-Latin scripts): cues varying within
${r.sources.map((s) => `${s.name}: ${(r.varyingCues[s.name] ?? []).map((c) => `\`${c}\``).join(', ') || 'none'}`).join('; ')}.

The task-structure cues (third run) per source, scored or not: share of prompts where each is above 0
(distinct values):

| source | ${(r.cueSpread[r.sources[0]?.name ?? ''] ?? []).map((c) => `\`${c.feature}\``).join(' | ')} |
|---|${(r.cueSpread[r.sources[0]?.name ?? ''] ?? []).map(() => '---:').join('|')}|
${r.sources.map((s) => `| ${s.name} | ${(r.cueSpread[s.name] ?? []).map((c) => `${pct(c.share)} (${c.distinct})`).join(' | ')} |`).join('\n')}

By the pre-registered criterion (beats on a majority of the left-out sources, loses beyond length's interval
on none), must-show 2 of issue 16 **${holds ? 'holds' : 'does not hold'}** on this run.

### Secondary (pre-registered): the first run's single pair per source

The same left-out models (AlpacaEval: the shipped weights), each source judged on its named pair only
(${r.sources.map((s) => `${s.name}: ${s.strongModel} / ${s.weakModel}`).join('; ')}), as the first run measured it:

${leftOutTable(r.onPair, (e) => (fitSources.includes(e.source) ? `fitted on ${fitSources.filter((s) => s !== e.source).join(' + ')}` : 'shipped weights'))}

Against prompt length on the pairs: ${tallyLine(secondary, r.onPair.length)}.

### Nested check: the selection redone without the left-out source

The rule above chose among ${n} settings while looking at every fit source, which flatters the left-out
numbers. Here the whole procedure (selection by the same rule on the remaining two fit sources, then the
fit) never sees the source it is judged on:

${leftOutTable(nestedRows, (e) => describeSetting(r.nested.find((c) => c.source === e.source)?.setting ?? r.setting))}

### For comparison: the best setting by point estimate

${describeSetting(r.selection.best.setting)}, which the one-standard-error rule passed over:

${leftOutTable(r.bestComparison, (e) => (fitSources.includes(e.source) ? `fitted on ${fitSources.filter((s) => s !== e.source).join(' + ')}` : 'fitted on all fit sources'))}

${
  r.taskStructure === undefined
    ? ''
    : `### For comparison: the task-structure cues at their best (third run)

${describeSetting(r.taskStructure.result.setting)} (worst case ${f3(r.taskStructure.result.worst)}, mean ${f3(r.taskStructure.result.mean)}), the best setting
scoring the new family by the rule's own ordering; ${
        r.taskStructure.result.setting.families.join() === r.setting.families.join() &&
        r.taskStructure.result.setting.lengthFloor === r.setting.lengthFloor &&
        r.taskStructure.result.setting.lambda === r.setting.lambda
          ? 'it is the shipped setting'
          : 'the rule did not ship it'
      }:

${leftOutTable(r.taskStructure.leftOut, (e) => (fitSources.includes(e.source) ? `fitted on ${fitSources.filter((s) => s !== e.source).join(' + ')}` : 'fitted on all fit sources'))}

Against prompt length: ${tallyLine(tally(r.taskStructure.leftOut), r.taskStructure.leftOut.length)}.

`
}### The shipped weights on the sources they were fitted on (in-sample, optimistic)

${leftOutTable(r.inSample, () => 'shipped weights (in-sample)')}

## Tier thresholds

From the left-out scores of the fit sources (each scored by the model fitted without it, with the shipped
intercept), each source weighing the same: **large at score ≥ ${large}**
(the highest boundary whose routing reaches ${pct(TARGET)} of all-strong quality on average over the sources)
and **medium at score ≥ ${medium}** (the same at 98%). Both are the defaults of
\`TierRulesSchema.scoreThresholds\`; under the reference strategy a request scoring below the first one
is "simple". None of the sources has a medium model, so the medium boundary is a policy choice. These
are quality-first defaults: on hard benchmark prompts the weak model trails far enough that most requests
must go to the strong one to keep ${pct(TARGET)} of its quality. A fleet whose traffic is easier, or that
trades quality for cost, raises them in its RoutingPolicy. At these thresholds the shipped weights send:

| source | share to large | quality (of all-strong) | share to medium or large | quality if medium were as good as large |
|---|---:|---:|---:|---:|
${r.operating.map((o) => `| ${o.source} | ${pct(o.large.share)} | ${pct(o.large.ofAllStrong)} | ${pct(o.medium.share)} | ${pct(o.medium.ofAllStrong)} |`).join('\n')}

## Detector checks on unlabelled prompts

Share of Arena-Hard prompts (../shared/data/classifier-dev) on which each signal fires, and the mean score
of the shipped weights. Descriptive only: nothing here was fitted or chosen.

${detectorTable(r.detectorChecks)}

## Caveats

- Prompt-only scores transfer poorly between kinds of task: on ${fitSources.filter((s) => s !== 'mt-bench').join(' and ')} and ${evalSources.map((s) => s.name).join(', ')}
  no prompt feature, length included, ranks much better than random at the 95% target (random already needs
  ${r.leftOut
    .filter((e) => e.source !== 'mt-bench')
    .map((e) => `${pct(e.share.random)} on ${e.source}`)
    .join(', ')}).
  Against such data the score's job is not to do worse than its length prior.
- The panels are models of the GPT-4 and the Mixtral class on each benchmark (by a pre-registered quality
  band), not a fleet's own models, which will differ. MT-Bench has one pair only. Judged scores carry judge
  noise; CRUXEval's exact match is strict.
- Found by hand after the second run, left as it was (the plan allowed no change): re-graded here, every
  CRUXEval model scores one to three points more than in ZeroEval's own \`result_dirs/crux.summary.json\`
  at the pinned commit, in nearly the same order. By ZeroEval's published accuracies the weak panel would be the
  same eight models and the strong one would also hold Llama-3.1-405B-Inst-fp8.
- \`tools\` and \`structuredOutput\` never occur in any source: they ship at their hand-set priors, untested.
  \`codeBlocks\` varies almost only between sources (every CRUXEval prompt carries ZeroEval's fenced JSON
  template; 3% of MT-Bench and 1% of Arena-Bench prompts have a fence), so its weight rests on little.
- Not chosen by validation, fixed by design: each feature's normalization (caps and ranges), the cue
  priors, the 95% / 98% quality targets and the candidate grid itself.
- The candidate cue families and their detectors were designed knowing MT-Bench and Arena-Hard prompts
  (issue 4). The nested check above is the honest estimate of the selection procedure.
- History of the rule: the first run of this script chose by the worst case alone, which picked the
  best setting by point estimate (the comparison table above: code words, instruction words and language
  scored on top of the structural cues). Its nested check then showed the gain on the left-out source not
  surviving a selection that had not seen it, and its worst-case margin over the structural-only setting is
  well inside one standard error; the one-standard-error step was added for that reason. Nothing else was
  changed after looking at results, but the choice between the two rules was made with these numbers in view.
- History of the data: the first run judged each source on its single pair (now the secondary table).
  The second run's panels were pre-registered before it ran (below, as written then: commit 490da89 put
  them in this file, PREREGISTRATION.md holds them since); the rule, the candidates and the features
  stayed as they were. The second run did not meet the criterion (shipped: structural cues only, length floor 8,
  λ 30; classifier ÷ length mt-bench 0.942, crux 0.993, arena-bench 0.999, alpaca-eval 0.999), and as
  pre-registered nothing was changed after it.
- History of the cues: this (third) run added the \`task-structure\` family, pre-registered before any code
  for it existed (below, with one amendment made before the run after the detectors' own unit tests); the
  data, rule, bootstrap and threshold rule are those of the second run, the grid those 640 settings with
  and without the new family. ${holds ? 'The criterion was met.' : 'The criterion was not met, and as pre-registered nothing was changed after it.'}

${r.preregistration.trim()}
`;
}
