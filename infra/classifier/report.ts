// Renders infra/classifier/CALIBRATION.md from what fit.ts measured: every number in it comes
// from the run that wrote src/classify/weights.json.
import type { ClassifierWeights, Normalization } from '../../src/classify/weights.ts';
import { type SourceEvaluation, TIE_RATIO, verdict } from './evaluate.ts';
import type { NestedCheck } from './fit.ts';
import { TARGET, type Selection, type SettingResult } from './loso.ts';
import { allSettings, describeSetting, LAMBDAS, LENGTH_FLOORS, OPTIONAL_FAMILIES, type Setting } from './model-spec.ts';
import { CALIBRATION_DATA_ENV } from './sources/git-file.ts';
import type { LabelledSource } from './sources/labelled.ts';

export interface Report {
  weights: ClassifierWeights;
  sources: readonly LabelledSource[];
  setting: Setting;
  selection: Selection;
  results: readonly SettingResult[];
  /** Each source left out in turn, scored by the chosen setting fitted without it (evaluation-only sources: the shipped model). */
  leftOut: readonly SourceEvaluation[];
  /** The shipped model on the sources it was fitted on (optimistic). */
  inSample: readonly SourceEvaluation[];
  /** The best-by-point-estimate setting, for comparison. */
  bestLeftOut: readonly SourceEvaluation[];
  bestOnEval: readonly SourceEvaluation[];
  nested: readonly NestedCheck[];
  operating: readonly { source: string; large: { share: number; ofAllStrong: number }; medium: { share: number; ofAllStrong: number } }[];
  detectorChecks: readonly { source: string; category: string; signals: readonly string[]; score: number }[];
  supportByFeature: Record<string, number>;
  fitCount: number;
  selectionResamples: number;
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

function fileCell(f: LabelledSource['files'][number]): string {
  if ('local' in f) return `\`${f.local.replace(/^.*\/(classifier-dev\/)/, '../shared/data/$1')}\` (${f.bytes} bytes)`;
  return `[${f.repo}](https://github.com/${f.repo}) @ \`${f.commit.slice(0, 12)}\`: \`${f.path}\``;
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
  const verdicts = r.leftOut.map((e) => ({ source: e.source, v: verdict(e) }));
  const beats = verdicts.filter((v) => v.v === 'beats').map((v) => v.source);
  const ties = verdicts.filter((v) => v.v === 'ties').map((v) => v.source);
  const losesBeyond = verdicts.filter((v) => v.v === 'loses beyond the interval of length').map((v) => v.source);
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

| source | files (repository @ commit: path) | licence | strong / weak model | items (questions) | needs strong | used for |
|---|---|---|---|---:|---:|---|
${r.sources
  .map((s) => {
    const groups = new Set(s.items.map((i) => i.group)).size;
    const use = s.use === 'fit' ? 'fit, and left out in turn' : 'evaluation only (never fitted on, never used to choose)';
    return `| ${s.title} | ${s.files.map(fileCell).join('<br>')} | ${s.license} | ${s.strongModel} / ${s.weakModel} | ${s.items.length} (${groups}) | ${s.items.filter((i) => i.needsStrong).length} | ${use} |`;
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

Against prompt length: beats on ${beats.length} of ${r.leftOut.length} sources${beats.length ? ` (${beats.join(', ')})` : ''}, ties on ${ties.length}${
    ties.length ? ` (${ties.join(', ')})` : ''
  }${losesBeyond.length ? `, loses beyond length's own interval on ${losesBeyond.join(', ')}` : ', and never loses beyond the interval of length'}.

### Nested check: the selection redone without the left-out source

The rule above chose among ${n} settings while looking at every fit source, which flatters the left-out
numbers. Here the whole procedure (selection by the same rule on the remaining two fit sources, then the
fit) never sees the source it is judged on:

${leftOutTable(nestedRows, (e) => describeSetting(r.nested.find((c) => c.source === e.source)?.setting ?? r.setting))}

### For comparison: the best setting by point estimate

${describeSetting(r.selection.best.setting)}, which the one-standard-error rule passed over:

${leftOutTable([...r.bestLeftOut, ...r.bestOnEval], (e) => (fitSources.includes(e.source) ? `fitted on ${fitSources.filter((s) => s !== e.source).join(' + ')}` : 'fitted on all fit sources'))}

### The shipped weights on the sources they were fitted on (in-sample, optimistic)

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
- Two models per source, GPT-4-class against Mixtral-8x7B-Instruct; a fleet's own models will differ.
  Judged scores carry judge noise; CRUXEval's exact match is strict.
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
`;
}
