import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alpacaEvalFiles, annotatedModel, loadAlpacaEval } from '../../../infra/classifier/sources/alpaca-eval.ts';
import { arenaBenchFiles, loadArenaBench } from '../../../infra/classifier/sources/arena-bench.ts';
import { cruxFiles, loadCrux } from '../../../infra/classifier/sources/crux.ts';
import { byCommit, CalibrationDataError, listPinned } from '../../../infra/classifier/sources/git-file.ts';
import { choosePanel, classMembers, type JudgedModel, PANEL_BAND, panelQuality } from '../../../infra/classifier/sources/panel.ts';

const judged = (model: string, scores: readonly (number | undefined)[]): JudgedModel => ({
  model,
  quality: new Map(scores.flatMap((q, i) => (q === undefined ? [] : [[`p${i}`, q] as const]))),
});

describe('panels of models by a quality band', () => {
  const unit = { min: 0, max: 1 };
  const models = [
    judged('strong', [1, 1, 1, 0.6]), // mean 0.9
    judged('strong-class', [1, 1, 0.8, 0.6]), // 0.85: on the band's edge, in
    judged('just-outside', [1, 0.8, 0.8, 0.6]), // 0.8: out
    judged('weak', [0.4, 0.2, 0, 0.2]), // 0.2
    judged('weak-class', [0.2, 0.2, 0.2, 0.4]), // 0.25: in
    judged('far', [0.6, 0.6, 0.4, 0.4]), // 0.5: neither
  ];

  it('puts every model within the band of a named model in its class, the named ones first of all', () => {
    const p = choosePanel(models, { strong: 'strong', weak: 'weak' }, unit);
    expect(p.strong.map((m) => m.model)).toEqual(['strong', 'strong-class']);
    expect(p.weak.map((m) => m.model)).toEqual(['weak', 'weak-class']);
    expect(p.candidates).toHaveLength(models.length);
    expect(p.band).toBe(PANEL_BAND);
  });

  it("measures the band on the source's scale mapped to 0..1", () => {
    // On a 1–10 scale the same band is 0.45 points: 6.54 ± 0.45.
    const tenPoint = [judged('w', [6.54]), judged('in', [6.99]), judged('out', [7.0]), judged('s', [8.87])];
    expect(classMembers(tenPoint, 'w', { min: 1, max: 10 }).map((m) => m.model)).toEqual(['w', 'in']);
  });

  it('refuses classes too close to tell apart, and a named model that was never judged', () => {
    expect(() => choosePanel([judged('a', [0.5]), judged('b', [0.45])], { strong: 'a', weak: 'b' }, unit)).toThrow(/within two bands/);
    expect(() => choosePanel(models, { strong: 'strong', weak: 'nobody' }, unit)).toThrow(/nobody has no judged prompts/);
    expect(() => classMembers([judged('empty', [])], 'empty', unit)).toThrow(/no judged prompts/);
  });

  it("averages a prompt's quality over the members judged on it", () => {
    const members = [judged('a', [1, undefined]), judged('b', [0, undefined]), judged('c', [0.5, 0.25])];
    expect(panelQuality(members, 'p0')).toBeCloseTo(0.5);
    expect(panelQuality(members, 'p1')).toBe(0.25);
    expect(panelQuality(members, 'p9')).toBeUndefined();
  });
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

/** A clone named `name` under a fresh folder, holding `files` in one commit; returns the folder and the commit. */
function cloneWith(name: string, files: Record<string, string>): { dir: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-panels-'));
  const work = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(work, 'init', '-q');
  git(work, 'add', '.');
  git(work, 'commit', '-q', '-m', 'data');
  return { dir, commit: git(work, 'rev-parse', 'HEAD') };
}

const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n');

describe('listing and citing pinned files', () => {
  const { dir, commit } = cloneWith('data-repo', { 'a/x.json': '1', 'a/y.json': '2', 'a/deep/z.json': '3', 'b/w.json': '4' });
  const folder = (path: string) => ({ repo: 'someone/data-repo', commit, path });

  it('lists a folder directly or at any depth, sorted, and nothing outside it', () => {
    expect(listPinned(dir, folder('a')).map((f) => f.path)).toEqual(['a/deep', 'a/x.json', 'a/y.json']);
    expect(listPinned(dir, folder('a/'), { recursive: true }).map((f) => f.path)).toEqual(['a/deep/z.json', 'a/x.json', 'a/y.json']);
  });

  it('says so when a folder holds nothing at that commit', () => {
    expect(() => listPinned(dir, folder('c'))).toThrow(CalibrationDataError);
    expect(() => listPinned(dir, folder('c'))).toThrow(/no files in c\//);
  });

  it('cites files per repository and commit under their deepest common folder', () => {
    const at = (repo: string, c: string, path: string) => ({ repo, commit: c, path });
    expect(byCommit([at('o/r', 'c1', 'a/b/x'), at('o/r', 'c1', 'a/c/y'), at('o/r', 'c2', 'a/b/x'), at('o/s', 'c1', 'top')])).toEqual([
      { repo: 'o/r', commit: 'c1', folder: 'a/', names: ['b/x', 'c/y'] },
      { repo: 'o/r', commit: 'c2', folder: 'a/b/', names: ['x'] },
      { repo: 'o/s', commit: 'c1', folder: '', names: ['top'] },
    ]);
  });
});

describe('Arena-Bench with panels', () => {
  const judgments = (model: string, scores: readonly (number | null)[]) =>
    jsonl(scores.map((score, i) => ({ question_id: `q${i}`, model, user_prompt: '…', judgment: '…', score })));
  const root = 'data/arena-bench-v1';
  const { dir, commit } = cloneWith('arena-hard-auto', {
    [`${root}/question.jsonl`]: jsonl(['one', 'two', 'three', 'four'].map((t, i) => ({ question_id: `q${i}`, turns: [t] }))),
    [`${root}/model_judgment/gpt-4-turbo.jsonl`]: judgments('gpt-4-1106-preview', [9, 9, 8, null]), // 8.67
    [`${root}/model_judgment/gpt-4-0314.jsonl`]: judgments('gpt-4-0314', [8, 9, 9, 9]), // 8.75: strong class
    [`${root}/model_judgment/Mixtral-8x7B-Instruct-v0.1.jsonl`]: judgments('mistralai/Mixtral-8x7B-Instruct-v0.1', [6, 7, 3, 8]), // 6
    [`${root}/model_judgment/claude-2.1.jsonl`]: judgments('claude-2.1', [4, 9, null, 6]), // 6.33: weak class
    [`${root}/model_judgment/llama-13b.jsonl`]: judgments('llama-13b', [1, 1, 1, 1]), // neither
  });
  const source = loadArenaBench(dir, arenaBenchFiles(commit));

  it('chooses the panels by the band and keeps the prompts both named models were judged on', () => {
    expect(source.panel).toEqual({ strong: ['gpt-4-0314', 'gpt-4-turbo'], weak: ['Mixtral-8x7B-Instruct-v0.1', 'claude-2.1'], candidates: 5, band: PANEL_BAND });
    expect(source.strongModel).toBe('gpt-4-1106-preview');
    expect(source.items.map((i) => i.group)).toEqual(['arena-bench:q0', 'arena-bench:q1', 'arena-bench:q2']);
    expect(source.files.map((f) => ('path' in f ? f.path : f.local))).toContain(`${root}/model_judgment/llama-13b.jsonl`);
  });

  it("scores each prompt by the panels' means, labels by a 2-point gap, and keeps the pair as it was", () => {
    expect(source.items.map((i) => [i.strong, i.weak, i.needsStrong])).toEqual([
      [8.5, 5, true],
      [9, 8, false],
      [8.5, 3, true], // claude-2.1 was not judged on q2
    ]);
    expect(source.pairItems.map((i) => [i.strong, i.weak, i.needsStrong])).toEqual([
      [9, 6, true],
      [9, 7, true],
      [8, 3, true],
    ]);
    expect(source.pairItems[0]?.request).toBe(source.items[0]?.request);
  });
});

describe('CRUXEval with panels', () => {
  const outputs = (generator: string, correct: readonly boolean[]) =>
    JSON.stringify(
      correct.map((ok, i) => ({
        id: `crux-${i}`,
        chat_history: [`def f(x): return x + ${i}\nassert f(0) == ??`],
        output: [ok ? `{"answer": "${i}"}` : '{"answer": "wrong"}'],
        answer: `${i}`,
        generator,
      })),
    );
  const pattern = (s: string) => [...s].map((c) => c === '1');
  const { dir, commit } = cloneWith('ZeroEval', {
    'result_dirs/crux/gpt-4-turbo-2024-04-09.json': outputs('openai/gpt-4-turbo', pattern('1111111100')), // 0.8
    'result_dirs/crux/gpt-4o.json': outputs('openai/gpt-4o', pattern('1111110011')), // 0.8: strong class
    'result_dirs/crux/Mixtral-8x7B-Instruct-v0.1.json': outputs('mistralai/Mixtral', pattern('1110000000')), // 0.3
    'result_dirs/crux/gemma.json': outputs('google/gemma', pattern('0001110000')), // 0.3: weak class
    'result_dirs/crux/middling.json': outputs('middling', pattern('1111110000')), // 0.6: neither
    'result_dirs/crux/README.md': 'not an output file',
  });
  const source = loadCrux(dir, cruxFiles(commit));

  it('grades every model the same way and chooses the panels by the band', () => {
    expect(source.panel?.strong).toEqual(['gpt-4-turbo-2024-04-09', 'gpt-4o']);
    expect(source.panel?.weak).toEqual(['Mixtral-8x7B-Instruct-v0.1', 'gemma']);
    expect(source.panel?.candidates).toBe(5);
    expect(source.items).toHaveLength(10);
  });

  it('scores each prompt by the share of each panel answering correctly; the pair by the first run\'s label', () => {
    expect(source.items.map((i) => `${i.strong}/${i.weak}/${i.needsStrong ? 'S' : '-'}`)).toEqual([
      '1/0.5/S', '1/0.5/S', '1/0.5/S', '1/0.5/S', '1/0.5/S', '1/0.5/S', '0.5/0/S', '0.5/0/S', '0.5/0/S', '0.5/0/S',
    ]);
    expect(source.pairItems.filter((i) => i.needsStrong).map((i) => i.group)).toEqual(['crux:crux-3', 'crux:crux-4', 'crux:crux-5', 'crux:crux-6', 'crux:crux-7']);
  });
});

describe('AlpacaEval with a weak panel', () => {
  const strong = 'gpt4_1106_preview';
  const annotations = (model: string, preferences: readonly (number | null)[], reference = strong) =>
    JSON.stringify(preferences.map((preference, i) => ({ instruction: `instruction ${i}`, generator_1: reference, generator_2: model, preference })));
  const files = (model: string, plain: readonly (number | null)[], cot: readonly (number | null)[], reference = strong) => ({
    [`results/${model}/alpaca_eval_gpt4_turbo_fn/annotations.json`]: annotations(model, plain, reference),
    [`results/${model}/alpaca_eval_cot_gpt4_turbo_fn/annotations.json`]: annotations(model, cot, reference),
  });
  // preference 1: the strong answer (output_1) preferred; 2: the other one.
  const { dir, commit } = cloneWith('alpaca_eval', {
    ...files('Mixtral-8x7B-Instruct-v0.1', [1, 1, 2, 1.5], [1, 2, 2, 1]), // quality 0, 0.5, 1, 0.25 → 0.4375
    ...files('cohere', [1, 1, 2, 2], [1, 1, 1.5, 2]), // 0, 0, 0.75, 1 → 0.4375: in
    ...files('strong-ish', [2, 2, 2, 1], [2, 2, 2, 1]), // 0.75: out
    ...files('other-reference', [1, 1, 2, 1.5], [1, 2, 2, 1], 'gpt4'), // compared with another model: no prompts
    [`results/${strong}/alpaca_eval_cot_gpt4_turbo_fn/annotations.json`]: annotations(strong, [1.5, 1.5, 1.5, 1.5]),
    'results/one-annotator/alpaca_eval_gpt4_turbo_fn/annotations.json': annotations('one-annotator', [1, 1, 1, 1]),
  });

  it('reads a model judged by every annotator; drops prompts a verdict is missing for and other references', () => {
    const m = annotatedModel('x', [JSON.parse(annotations('x', [1, null, 2, 2])), JSON.parse(annotations('x', [1, 1, 2, 1], 'gpt4'))], strong);
    expect([...m.quality]).toEqual([]);
    const both = annotatedModel('x', [JSON.parse(annotations('x', [1, null, 2, 2])), JSON.parse(annotations('x', [2, 1, 2, 1]))], strong);
    expect([...both.quality]).toEqual([
      ['instruction 0', 0.5],
      ['instruction 2', 1],
      ['instruction 3', 0.5],
    ]);
  });

  it('averages the weak panel and labels by the share of comparisons the strong answer won', () => {
    const source = loadAlpacaEval(dir, alpacaEvalFiles(commit));
    expect(source.panel?.strong).toEqual([strong]);
    expect(source.panel?.weak).toEqual(['Mixtral-8x7B-Instruct-v0.1', 'cohere']);
    expect(source.use).toBe('evaluate');
    expect(source.items.map((i) => [i.weak, i.needsStrong])).toEqual([
      [0, true],
      [0.25, true],
      [0.875, false],
      [0.625, false],
    ]);
    expect(source.pairItems.map((i) => [i.strong, i.needsStrong])).toEqual([
      [1, true],
      [0.5, false],
      [0, false],
      [0.75, false],
    ]);
  });

  it('fails clearly when the weak model was not annotated by both annotators', () => {
    const lonely = cloneWith('alpaca_eval', { 'results/cohere/alpaca_eval_gpt4_turbo_fn/annotations.json': annotations('cohere', [1]) });
    const pinned = alpacaEvalFiles(lonely.commit);
    expect(() => loadAlpacaEval(lonely.dir, { ...pinned, plain: { ...pinned.plain, path: 'results/cohere/alpaca_eval_gpt4_turbo_fn/annotations.json' } })).toThrow(
      /no annotations of cohere by both annotators/,
    );
  });
});
