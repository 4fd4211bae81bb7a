/**
 * The words and word pairs the text scanner recognises, each tagged with what it is evidence of.
 * Words are looked up by two independent 32-bit hashes the scanner computes while it reads (no
 * substring, no lowercase copy): one finds the entry, the other confirms it, so an unrelated word
 * is taken for a lexicon word with odds of about 2^-64, without comparing characters.
 */

export const CODE_STRONG = 1 << 0; // unambiguous programming vocabulary
export const CODE_WEAK = 1 << 1; // programming words that also occur in prose
export const CODE_LINE_START = 1 << 2; // a lowercase keyword that opens a line of code
export const MATH = 1 << 3;
export const LATEX = 1 << 4; // counts only right after a backslash (\frac, \sum)
export const REASONING = 1 << 5;
export const CONSTRAINT = 1 << 6;
export const CONSTRAINT_WEAK = 1 << 7;
export const LONG_OUTPUT = 1 << 8;
export const SHORT_OUTPUT = 1 << 9;
export const EN_STOP = 1 << 10;
export const FOREIGN_STOP = 1 << 11;
export const UNIT = 1 << 12; // a length unit after a number: "200 words"; value = tokens per unit
export const NUMBER_WORD = 1 << 13; // "three"; value = the number
export const SEQ_FIRST = 1 << 14;
export const SEQ_THEN = 1 << 15;
export const BIGRAM_FIRST = 1 << 16; // set by the builder: the word opens a pair in BIGRAMS
export const CONSTRUCT = 1 << 17; // a program construct keyword; its kind is ENTRY_CONSTRUCT
export const FORMAT = 1 << 18; // an output-format demand; its kind is ENTRY_FORMAT
export const COMPREHENSION_KEYWORD = 1 << 19; // `for` and `if`: inside brackets they make a comprehension

export interface LexiconEntry {
  readonly text: string;
  readonly flags: number;
  readonly value: number;
  /** Construct kind (bit index) when flags has CONSTRUCT, else 0. */
  readonly construct: number;
  /** Format-demand kind (bit index) when flags has FORMAT, else 0. */
  readonly format: number;
}

export interface BigramEntry {
  readonly flags: number;
  readonly weight: number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** The hash steps the scanner applies per (already case-folded) character: FNV-1a, and a polynomial one. */
export function hashStep(hash: number, foldedChar: number): number {
  return Math.imul(hash ^ foldedChar, FNV_PRIME);
}
export function checkStep(check: number, foldedChar: number): number {
  return (Math.imul(check, 31) + foldedChar) | 0;
}
export const HASH_SEED = FNV_OFFSET | 0;
export const CHECK_SEED = 0;

/**
 * Lowercase for the scripts the lexicon holds (ASCII and Latin-1), and the typographic apostrophe
 * folded onto the ASCII one, so "Don’t" and "don't" are one word.
 */
export function foldChar(c: number): number {
  if (c >= 65 && c <= 90) return c + 32;
  if (c < 0xc0) return c;
  if (c <= 0xde && c !== 0xd7) return c + 32;
  if (c === 0x2019) return 39;
  return c;
}

function hashWord(word: string): number {
  let h = HASH_SEED;
  for (let i = 0; i < word.length; i++) h = hashStep(h, foldChar(word.charCodeAt(i)));
  return h;
}

function checkWord(word: string): number {
  let h = CHECK_SEED;
  for (let i = 0; i < word.length; i++) h = checkStep(h, foldChar(word.charCodeAt(i)));
  return h;
}

// Space-separated word lists per tag. Kept short and specific: every entry is a cue a reader
// would also take as evidence, and ambiguous English words get the weak tags or are left out.
const LISTS: readonly [number, string][] = [
  [CODE_STRONG, 'python javascript typescript java rust golang kotlin swift php ruby perl scala haskell sql sqlite postgres postgresql mysql mongodb regex regexp html css json yaml xml api apis debug debugging compile compiler compiling refactor refactoring repo github git docker kubernetes kubectl npm pip webpack react vue angular django flask fastapi nodejs bash shell linux unix cli http https endpoint backend frontend stacktrace traceback segfault runtime async await boolean int float enum struct pointer pointers lambda dataframe pandas numpy pytorch tensorflow sdk jvm dll exe ggplot matplotlib cpp csharp typeerror nullpointerexception'],
  [CODE_WEAK, 'code coding program programming script function functions method methods class classes variable variables array arrays string strings query queries implement implementation algorithm algorithms bug bugs library module loop parameter parameters syntax server database'],
  [CODE_LINE_START, 'def class import from return const let var function public private protected static func fn package using elif else for while if try except catch async await struct impl interface export module include select print printf console namespace template'],
  [MATH, 'solve equation equations integral integrals derivative derivatives differentiate integrate theorem lemma probability probabilities polynomial polynomials matrix matrices eigenvalue eigenvalues vector vectors calculus algebra algebraic geometry trigonometry logarithm logarithms factorial prime primes integer integers divisible modulo sqrt calculate calculation compute arithmetic fraction fractions ratio percentage percent perimeter radius circumference triangle triangles hypotenuse angle angles parabola variance deviation sequence converge converges diverge infinity combinatorics permutation permutations combinations binomial gcd lcm remainder quotient numerator denominator exponent exponential inequality inequalities sum roots quadratic cubic coefficient coefficients dice irrational prove proof formula formulas vertex vertices subset subsets factor factors average area circle'],
  [LATEX, 'frac dfrac sum int sqrt alpha beta gamma delta epsilon theta lambda sigma pi mu phi omega infty cdot times leq geq neq approx partial nabla prod lim log ln sin cos tan mathbb mathrm mathbf mathcal begin end left right pm binom vec hat bar dots ldots cdots in subset subseteq cup cap forall exists rightarrow leftarrow to le ge ne equiv mod pmod text quad'],
  [REASONING, 'explain why reason reasoning analyze analyse analysis compare comparison contrast evaluate assess plan planning strategy strategies design architect architecture tradeoff tradeoffs pros cons justify prove proof derive derivation deduce infer hypothesis implications consequences critique critically debate argue argument arguments logic logical puzzle riddle suppose assume assuming therefore hence scenario scenarios optimize optimise optimization troubleshoot diagnose approach approaches recommend decide decision roadmap investigate'],
  [CONSTRAINT, 'must exactly ensure require required requires requirement requirements constraint constraints strictly avoid format formatted formatting json yaml csv markdown table bullet bullets fewer maximum minimum don\'t dont shouldn\'t mustn\'t never rhyme rhyming'],
  [CONSTRAINT_WEAK, 'only always without limit limited every each specific specifically style tone include exclude'],
  [LONG_OUTPUT, 'essay essays article articles report story stories novel chapter chapters detailed comprehensive thorough thoroughly elaborate exhaustive lengthy blog tutorial guide documentation whitepaper screenplay manuscript proposal'],
  [SHORT_OUTPUT, 'brief briefly concise concisely short succinct succinctly tldr'],
  [EN_STOP, 'the and is are was were of to in that this it for with on as be by you your what how can please i we my an or from have has not will would should there which who when where if but do does me they their them these those about into'],
  [FOREIGN_STOP, 'el los las del que una un por para con es como pero más esta este sobre también puedo mi y le les des est une pour dans pas qui sur avec ce cette je vous nous sont du au aux et très être der das und ist nicht ein eine mit ich sie wie auf für zu den dem sind kann oder auch werden wird não uma ao da em são você il di che sono gli della questo het een niet zijn ook la de en à où ça'],
  [SEQ_FIRST, 'first firstly'],
  [SEQ_THEN, 'then next finally afterwards'],
];

const UNITS: readonly [string, number][] = [
  ['word', 1.35], ['words', 1.35], ['sentence', 25], ['sentences', 25], ['paragraph', 120],
  ['paragraphs', 120], ['page', 600], ['pages', 600], ['line', 12], ['lines', 12],
  ['character', 0.3], ['characters', 0.3], ['chars', 0.3], ['tokens', 1], ['syllables', 0.5],
  ['bullet', 20], ['bullets', 20], ['points', 20], ['verses', 40], ['stanzas', 40], ['items', 20],
];

/**
 * Kinds of program construct (the `codeConstructs` cue counts distinct kinds). Bit 0 is the
 * comprehension (a `for` or `if` inside brackets); the lists are bits 1.., in order.
 */
export const COMPREHENSION_BIT = 0;
const CONSTRUCTS: readonly string[] = [
  'for while foreach', // loop
  'if elif else switch case', // branch
  'try except catch finally raise throw', // exception
  'return yield',
  'def function fn func', // definition
  'lambda',
  'class struct interface impl enum', // type
  'import include',
  'break continue goto', // jump
  'async await', // concurrency
  'with', // context manager
];
export const CONSTRUCT_KINDS = CONSTRUCTS.length + 1;

/**
 * Kinds of explicit output-format demand (the `formatDemands` cue counts distinct kinds), bits
 * 0.. in order; the last kind is a stated length ("200 words"), found by the UNIT rule.
 */
const FORMATS: readonly string[] = [
  'json',
  'yaml',
  'csv',
  'xml',
  'table tables tabular',
  'markdown',
  'bullet bullets bulleted',
  'numbered',
  'heading headings',
  'uppercase lowercase capitalized capitalize', // letter case
  'format formatted template',
];
export const STATED_LENGTH_KIND = FORMATS.length;
export const FORMAT_KINDS = FORMATS.length + 1;

const NUMBER_WORDS = 'one two three four five six seven eight nine ten'.split(' ');

// Word pairs (first word, second word, tag, weight): the weight multiplies the tagged evidence.
const BIGRAMS: readonly [string, string, number, number][] = [
  ['step', 'by', REASONING, 2],
  ['trade', 'off', REASONING, 1],
  ['trade', 'offs', REASONING, 1],
  ['root', 'cause', REASONING, 1],
  ['walk', 'through', REASONING, 1],
  ['think', 'through', REASONING, 1],
  ['at', 'most', CONSTRAINT, 1],
  ['at', 'least', CONSTRAINT, 1],
  ['no', 'more', CONSTRAINT, 1],
  ['no', 'longer', CONSTRAINT, 1],
  ['do', 'not', CONSTRAINT, 1],
  ['must', 'not', CONSTRAINT, 1],
  ['start', 'with', CONSTRAINT, 1],
  ['starts', 'with', CONSTRAINT, 1],
  ['begin', 'with', CONSTRAINT, 1],
  ['end', 'with', CONSTRAINT, 1],
  ['less', 'than', CONSTRAINT_WEAK, 1],
  ['how', 'many', MATH, 1],
  ['time', 'complexity', CODE_STRONG, 1],
  ['space', 'complexity', CODE_STRONG, 1],
  ['unit', 'test', CODE_STRONG, 1],
  ['unit', 'tests', CODE_STRONG, 1],
  ['in', 'depth', LONG_OUTPUT, 1],
  ['yes', 'or', SHORT_OUTPUT, 1],
  ['single', 'word', SHORT_OUTPUT, 1],
];

/** An open-addressing table from word hash to entry id (typed arrays: no boxing, no Map). */
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const tableHashes = new Int32Array(1 << TABLE_BITS);
const tableIds = new Int32Array(1 << TABLE_BITS).fill(-1);

function build(): { entries: LexiconEntry[]; bigrams: Map<number, BigramEntry> } {
  const flagsByWord = new Map<string, { flags: number; value: number; construct: number; format: number }>();
  const add = (word: string, flags: number, value = 0, kinds: { construct?: number; format?: number } = {}) => {
    const prev = flagsByWord.get(word);
    flagsByWord.set(word, {
      flags: (prev?.flags ?? 0) | flags,
      value: value || prev?.value || 0,
      construct: kinds.construct ?? prev?.construct ?? 0,
      format: kinds.format ?? prev?.format ?? 0,
    });
  };
  for (const [flags, list] of LISTS) for (const w of list.split(' ')) add(w, flags);
  CONSTRUCTS.forEach((list, k) => {
    for (const w of list.split(' ')) add(w, CONSTRUCT | (w === 'for' || w === 'if' ? COMPREHENSION_KEYWORD : 0), 0, { construct: k + 1 });
  });
  FORMATS.forEach((list, k) => {
    for (const w of list.split(' ')) add(w, FORMAT, 0, { format: k });
  });
  for (const [w, tokens] of UNITS) add(w, UNIT, tokens);
  NUMBER_WORDS.forEach((w, i) => add(w, NUMBER_WORD, i + 1));
  for (const [a, b] of BIGRAMS) {
    add(a, BIGRAM_FIRST);
    add(b, 0);
  }
  // At most a quarter full, so probe runs stay short (and the insertion loop always ends).
  if (flagsByWord.size * 4 > tableIds.length) throw new Error('lexicon table too full: raise TABLE_BITS');
  if (flagsByWord.size > 1024) throw new Error('lexicon ids must fit bigramKey');
  const entries: LexiconEntry[] = [];
  for (const [text, { flags, value, construct, format }] of flagsByWord) {
    const hash = hashWord(text);
    if (lookupHash(hash) >= 0) throw new Error(`lexicon hash collision: ${text}`);
    const id = entries.length;
    entries.push({ text, flags, value, construct, format });
    let slot = hash & TABLE_MASK;
    while (tableIds[slot] !== -1) slot = (slot + 1) & TABLE_MASK;
    tableHashes[slot] = hash;
    tableIds[slot] = id;
  }
  const bigrams = new Map<number, BigramEntry>();
  for (const [a, b, flags, weight] of BIGRAMS) {
    bigrams.set(bigramKey(lookupHash(hashWord(a)), lookupHash(hashWord(b))), { flags, weight });
  }
  return { entries, bigrams };
}

/** The id of the entry whose word has this hash, or -1. The caller confirms it with ENTRY_CHECK. */
export function lookupHash(hash: number): number {
  let slot = hash & TABLE_MASK;
  for (;;) {
    const id = tableIds[slot] ?? -1;
    if (id === -1 || tableHashes[slot] === hash) return id;
    slot = (slot + 1) & TABLE_MASK;
  }
}

export function bigramKey(first: number, second: number): number {
  return first * 1024 + second;
}

const built = build();
/** Entries; an entry's id is its index. */
export const LEXICON: readonly LexiconEntry[] = built.entries;
/** bigramKey(first id, second id) → entry. */
export const LEXICON_BIGRAMS: ReadonlyMap<number, BigramEntry> = built.bigrams;

// The same entries as typed arrays by id, for the scanner's hot path.
export const ENTRY_FLAGS = Int32Array.from(LEXICON, (e) => e.flags);
export const ENTRY_VALUE = Float64Array.from(LEXICON, (e) => e.value);
export const ENTRY_CHECK = Int32Array.from(LEXICON, (e) => checkWord(e.text));
export const ENTRY_CONSTRUCT = Int8Array.from(LEXICON, (e) => e.construct);
export const ENTRY_FORMAT = Int8Array.from(LEXICON, (e) => e.format);
/** No entry is longer: longer words need no lookup. */
export const LONGEST_ENTRY = Math.max(...LEXICON.map((e) => e.text.length));
