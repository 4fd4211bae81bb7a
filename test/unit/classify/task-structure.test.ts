// The within-task structure cues (the `task-structure` family, pre-registered in
// infra/classifier/PREREGISTRATION.md): each detector on what it must count, what it must not, and
// inputs built to break a scanner (huge prompts, no newlines, binary-ish text).
import { describe, expect, it } from 'vitest';
import { bitCount, extractFeatures, type FeatureVector } from '../../../src/classify/features.ts';
import { CONSTRUCT_KINDS, FORMAT_KINDS } from '../../../src/classify/lexicon.ts';
import { BUDGET_CHARS } from '../../../src/classify/read-budget.ts';
import { newTextStats, scanText } from '../../../src/classify/scan-text.ts';

const TASK_STRUCTURE = ['codeNesting', 'codeConstructs', 'subtasks', 'formatDemands', 'quantities'] as const;
type TaskCue = (typeof TASK_STRUCTURE)[number];

const cues = (content: string): Record<TaskCue, number> => {
  const f: FeatureVector = extractFeatures({ messages: [{ role: 'user', content }] });
  return { codeNesting: f.codeNesting, codeConstructs: f.codeConstructs, subtasks: f.subtasks, formatDemands: f.formatDemands, quantities: f.quantities };
};

const CRUX_LIKE = [
  '[PYTHON]',
  'def f(xs):',
  '    out = []',
  '    for x in xs:',
  '        if x > 2:',
  '            out.append(x)',
  '    return [y for y in out if y]',
  "assert f([1, 2, 3]) == ??",
  '[/PYTHON]',
].join('\n');

describe('bitCount', () => {
  it('counts the set bits of any 32-bit pattern', () => {
    expect(bitCount(0)).toBe(0);
    expect(bitCount(0b1011)).toBe(3);
    expect(bitCount(1 << 31)).toBe(1);
    expect(bitCount(-1)).toBe(32);
  });
});

/** [cue, what the case shows, prompt, expected count]: each detector on what it must count and what it must not. */
const CASES: readonly [TaskCue, string, string, number][] = [
  // codeNesting: distinct indentation widths
  ['codeNesting', 'one per nesting level', CRUX_LIKE, 3],
  ['codeNesting', 'not one per line', `def f():\n${Array.from({ length: 200 }, (_, i) => `    x${i} = ${i}`).join('\n')}`, 1],
  ['codeNesting', 'a tab is 4 columns', 'if a:\n\tb()\n    c()', 1],
  ['codeNesting', 'nothing from flat prose or blank indented lines', 'A paragraph.\n\nAnother paragraph with no indent.\n      \n', 0],
  ['codeNesting', 'nested lists are levels too', '- a\n  - b\n    - c', 2],
  ['codeNesting', 'absurd widths count as 32 columns', `x\n${' '.repeat(5000)}y\n${' '.repeat(40)}z`, 1],
  // codeConstructs: distinct kinds of program construct where they are code
  ['codeConstructs', 'definition, loop, branch, return, comprehension', CRUX_LIKE, 5],
  ['codeConstructs', 'kinds, not occurrences', Array.from({ length: 50 }, () => 'for i in range(3):\n    pass').join('\n'), 1],
  ['codeConstructs', 'anywhere inside a code block', '```\nx = 1; try { y() } catch (e) { throw e }\n```', 1],
  ['codeConstructs', 'a list comprehension: loop + comprehension', 'evens = [n for n in xs]', 2],
  ['codeConstructs', 'a dict comprehension', 'm = {k: v for k, v in items}', 2],
  ['codeConstructs', 'not inside parentheses only', 'sorted(xs, key=lambda x: -x)', 0],
  ['codeConstructs', 'not the same words mid-line in prose', 'Tell me what to do if it rains, and what else to bring for the trip with friends.', 0],
  ['codeConstructs', 'not capitalised or in parentheses', 'If it rains, we stay.\nFor example, with a coat.\nReturn the book (if you can).', 0],
  ['codeConstructs', 'never more kinds than there are', 'for\nif\ntry\nreturn\ndef\nlambda\nclass\nimport\nbreak\nasync\nwith\nx = [a for a in b]\nwhile\nelse\ncatch\nyield', CONSTRUCT_KINDS],
  // subtasks: lines opening with a list marker
  ['subtasks', 'numbered, lettered and bulleted lines', 'Do this:\n1. Intro\n2) Body\n  a) detail\n- dash\n* star\n• dot', 6],
  ['subtasks', 'not mid-line, without the space, or a long number', 'Pick 1. Then 2) maybe.\n-x\n*emphasis*\n**bold**\n2024. was a year\n3.14 is pi', 0],
  ['subtasks', 'not inside a code block', '```yaml\n- a\n- b\n1. c\n```', 0],
  // formatDemands: distinct kinds of explicit output format
  ['formatDemands', 'each kind once, whatever the case, and a stated length', 'Reply in JSON, as a markdown table, in 200 words, with UPPERCASE headings. Use the format below.', 7],
  ['formatDemands', 'a kind repeated counts once', 'json json JSON Json', 1],
  ['formatDemands', 'a stated length in number words', 'Answer in three paragraphs.', 1],
  ['formatDemands', 'not inside a code block', '```\nimport json\nprint(json.dumps(table))\n```', 0],
  ['formatDemands', 'nothing where no format is asked', 'Tell me about the history of Rome.', 0],
  ['formatDemands', 'never more kinds than there are', 'json yaml csv xml table markdown bullets numbered headings uppercase format, in 100 words', FORMAT_KINDS],
  // quantities: numbers, number words and operations
  ['quantities', '3, two, 4, 5, 12 and three operations (4 + 5, 5 * x, x = 12)', 'Tom has 3 apples and two pears. 4 + 5 * x = 12. What is x?', 8],
  ['quantities', 'a number with separators is one', 'Prices: 1,000.50 and 3.14', 2],
  ['quantities', 'not inside a code block', '```\nx = 1 + 2 + 3\n```', 0],
  ['quantities', 'nothing in prose without numbers', 'Write a poem about the sea.', 0],
  ['quantities', 'hyphens are not arithmetic', 'a well-known x-ray', 0],
];

describe('task-structure detectors', () => {
  it.each(CASES)('%s: %s', (cue, _what, prompt, expected) => {
    expect(cues(prompt)[cue]).toBe(expected);
  });
});

describe('adversarial inputs', () => {
  it('a huge prompt is read within the budget: the counts stay what the read ranges hold', () => {
    const line = '1. add 2 + 3 in JSON\n    for x in [y for y in z]:\n';
    const huge = line.repeat(Math.ceil(2_000_000 / line.length));
    const c = cues(huge);
    // Every read line is a sub-task; at most one per 20 read characters (the line above is 20 long), never one per line of the whole text.
    expect(c.subtasks).toBeGreaterThan(0);
    expect(c.subtasks).toBeLessThanOrEqual(Math.ceil(BUDGET_CHARS / 20) + 8);
    expect(c.codeNesting).toBe(1);
    expect(c.codeConstructs).toBe(2);
    expect(c.formatDemands).toBe(1);
    expect(c.quantities).toBeLessThanOrEqual(BUDGET_CHARS);
  });

  it('a huge prompt with no newline: no line structure, counts bounded, nothing throws', () => {
    const oneLine = 'for x in [a if b else c for a in d] 1 + 2 = 3 json '.repeat(40_000);
    const c = cues(oneLine);
    expect(c.codeNesting).toBe(0);
    expect(c.subtasks).toBe(0);
    // The first word opens the only line the head sees; the rest is mid-line or in brackets.
    expect(c.codeConstructs).toBeLessThanOrEqual(3);
    expect(c.quantities).toBeLessThanOrEqual(BUDGET_CHARS);
  });

  it('binary-ish text (control characters, lone surrogates, NULs, random code units) gives finite, bounded counts', () => {
    let seed = 7;
    let junk = '';
    for (let i = 0; i < 300_000; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      junk += String.fromCharCode(seed % 0x10000);
    }
    junk += '\uD800\u0000\uDFFF\t\t\t\n\u2022 \n';
    const f = extractFeatures({ messages: [{ role: 'user', content: junk }] });
    for (const name of TASK_STRUCTURE) {
      expect(Number.isFinite(f[name])).toBe(true);
      expect(f[name]).toBeGreaterThanOrEqual(0);
    }
    expect(f.codeNesting).toBeLessThanOrEqual(32);
    expect(f.codeConstructs).toBeLessThanOrEqual(CONSTRUCT_KINDS);
    expect(f.formatDemands).toBeLessThanOrEqual(FORMAT_KINDS);
    expect(f.subtasks + f.quantities).toBeLessThanOrEqual(BUDGET_CHARS);
  });

  it('a read window starting mid-line takes nothing from that partial line\'s start, and reads the next lines fully', () => {
    const text = 'Intro text    1. for x in y\n    - b\n';
    const window = newTextStats();
    scanText(text, window, 10);
    expect([window.indentWidths, window.subtasks, window.constructKinds]).toEqual([1 << 3, 1, 0]);
    const whole = newTextStats();
    scanText('    1. for x in y\n', whole);
    expect([whole.indentWidths, whole.subtasks]).toEqual([1 << 3, 1]);
  });

  it('earlier assistant answers add nothing: only the instructions are read for cues', () => {
    const f = extractFeatures({
      messages: [
        { role: 'user', content: 'Go on.' },
        { role: 'assistant', content: `${CRUX_LIKE}\n1. a\n2. b\nin JSON, 300 words` },
        { role: 'user', content: 'Thanks.' },
      ],
    });
    expect(TASK_STRUCTURE.map((n) => f[n])).toEqual([0, 0, 0, 0, 0]);
  });
});
