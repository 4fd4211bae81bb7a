import {
  BIGRAM_FIRST,
  bigramKey,
  CODE_LINE_START,
  CODE_STRONG,
  CODE_WEAK,
  COMPREHENSION_BIT,
  COMPREHENSION_KEYWORD,
  CONSTRAINT,
  CONSTRAINT_WEAK,
  EN_STOP,
  CHECK_SEED,
  CONSTRUCT,
  FORMAT,
  STATED_LENGTH_KIND,
  checkStep,
  ENTRY_CHECK,
  ENTRY_CONSTRUCT,
  ENTRY_FLAGS,
  ENTRY_FORMAT,
  ENTRY_VALUE,
  FOREIGN_STOP,
  foldChar,
  HASH_SEED,
  hashStep,
  LATEX,
  LEXICON_BIGRAMS,
  lookupHash,
  LONG_OUTPUT,
  LONGEST_ENTRY,
  MATH,
  NUMBER_WORD,
  REASONING,
  SEQ_FIRST,
  SEQ_THEN,
  SHORT_OUTPUT,
  UNIT,
} from './lexicon.ts';

/**
 * What one pass over a request's text found. Counts and weighted evidence sums; the feature and
 * signal modules turn them into numbers and names. Accumulates across the texts of one request.
 */
export interface TextStats {
  /** Latin letters, digits and whitespace (≈4 per token). */
  latinChars: number;
  /** ASCII punctuation and symbols (tokenizers split these finely: ≈1.6 per token). */
  punctChars: number;
  /** CJK ideographs, kana, hangul and CJK punctuation (≈1 token each). */
  cjkChars: number;
  /** Other scripts, symbols and emoji (≈2.5 per token). */
  otherChars: number;
  latinLetters: number;
  cjkLetters: number;
  otherScriptLetters: number;
  latinWords: number;
  accentedWords: number;
  englishStops: number;
  foreignStops: number;
  code: number;
  math: number;
  reasoning: number;
  constraints: number;
  longOutput: number;
  shortOutput: number;
  /** Largest output size stated in the text ("in 500 words"), in tokens; 0 if none. */
  outputTokensHint: number;
  numbers: number;
  questions: number;
  /** Fenced code blocks opened (``` … ```). */
  codeBlocks: number;
  /** SEQ_FIRST | SEQ_THEN bits seen ("first … then …"). */
  sequence: number;
  // Within-task structure (the `task-structure` cue family): how much a task asks, not which kind it is.
  /** Bit w-1 set when a non-blank line is indented by w columns (1..32; a tab is 4). */
  indentWidths: number;
  /** Bit k set when a program construct of kind k (lexicon.ts CONSTRUCTS) occurs where it is code. */
  constructKinds: number;
  /** Lines outside code blocks opening with a list marker: "1.", "2)", "a)", "- ", "* ", "• ". */
  subtasks: number;
  /** Bit k set when an output-format demand of kind k (lexicon.ts FORMATS) occurs outside code blocks. */
  formatKinds: number;
  /** Numbers, number words and arithmetic operations outside code blocks. */
  quantities: number;
}

export function newTextStats(): TextStats {
  return {
    latinChars: 0, punctChars: 0, cjkChars: 0, otherChars: 0,
    latinLetters: 0, cjkLetters: 0, otherScriptLetters: 0, latinWords: 0, accentedWords: 0,
    englishStops: 0, foreignStops: 0,
    code: 0, math: 0, reasoning: 0, constraints: 0,
    longOutput: 0, shortOutput: 0, outputTokensHint: 0,
    numbers: 0, questions: 0, codeBlocks: 0, sequence: 0,
    indentWidths: 0, constructKinds: 0, subtasks: 0, formatKinds: 0, quantities: 0,
  };
}

/** ASCII letters, Latin-1 and Latin Extended letters (not × ÷), Vietnamese, combining accents. */
function isLatinLetter(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  return (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) || (c >= 0x300 && c <= 0x36f) || (c >= 0x1e00 && c <= 0x1eff);
}

function isCjk(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af) ||
    (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x1100 && c <= 0x11ff) || (c >= 0xf900 && c <= 0xfaff)
  );
}

function isGreek(c: number): boolean {
  return c >= 0x370 && c <= 0x3ff;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Operators of an arithmetic expression; '-' and '/' only when spaced, so dates and hyphens don't count. */
function isMathOperator(c: number): boolean {
  return c === 43 || c === 42 || c === 94 || c === 61 || c === 60 || c === 62 || c === 37 || c === 45 || c === 47;
}

/** Characters dense in code and sparse in prose: { } [ ] ( ) < > = ; \ & */
function isCodeSymbol(c: number): boolean {
  return c === 123 || c === 125 || c === 91 || c === 93 || c === 40 || c === 41 || c === 60 || c === 62 ||
    c === 61 || c === 59 || c === 92 || c === 38;
}

/** Two-character operators of programming languages: => -> :: == != && || += </ /> () {} */
function isCodeDigraph(a: number, b: number): boolean {
  switch (b) {
    case 62: return a === 61 || a === 45 || a === 47; // => -> />
    case 58: return a === 58; // ::
    case 61: return a === 61 || a === 33 || a === 43; // == != +=
    case 38: return a === 38; // &&
    case 124: return a === 124; // ||
    case 47: return a === 60; // </
    case 41: return a === 40; // ()
    case 125: return a === 123; // {}
    default: return false;
  }
}

/**
 * One pass over `text`, adding what it finds to `s`. No regular expressions, no substrings: a word
 * is read in a tight inner loop that hashes it as it goes, then looked up once in a typed-array
 * table (lexicon.ts); numbers and backtick runs are read the same way. All state is a handful of
 * local numbers, so the cost is linear in the text and nothing is allocated.
 */
export function scanText(text: string, s: TextStats, from = 0, to = text.length): void {
  // Reads text[from, to) and nothing outside it: looking back or ahead stops at the bounds, so
  // what lies outside a sampled window never changes what is found in it.
  const n = to;
  // Per-character counters stay in locals and are added to `s` once at the end.
  let letters = 0;
  let words = 0;
  let punct = 0;
  let cjk = 0;
  let cjkLetters = 0;
  let other = 0;
  let otherLetters = 0;
  let secondHalves = 0;
  // What the previous tokens leave for the next one.
  let prevId = -1; // lexicon id of the previous word when it opens a pair ("step by", "at most")
  let pendingNumber = 0; // a number just before: "200 words", "three paragraphs"
  let dotJoin = false; // previous word ran into this one through a dot: obj.method
  let mathPrev = 0; // 0: nothing, 1: an operand (number, one-letter variable), 2: operand then operator
  // The line being read.
  let lineNonSpace = 0;
  let lineSymbols = 0;
  let lineLast = 0;
  let lineTokens = 0;
  let lineCode = false;
  let lineInFence = false;
  // A window into the middle of a text may start mid-line: its first line's start is not known, so
  // the line-start rules of the task-structure cues (indentation, list markers, a keyword opening a
  // line) wait for the first newline.
  let lineStartKnown = from === 0;
  let lineIndent = 0; // columns of leading whitespace
  let lineBrackets = 0; // '[' and '{' opened and not yet closed on this line
  let inFence = false;

  let i = from;
  while (i <= n) {
    // A newline after the end finishes the last line.
    const c = i < n ? text.charCodeAt(i) : 10;

    // A word: Latin letters, then also digits, underscores and inner apostrophes (utf8, snake_case, don't).
    if (isLatinLetter(c) || c === 95) {
      const start = i;
      const first = foldChar(c);
      let hash = hashStep(HASH_SEED, first);
      let check = checkStep(CHECK_SEED, first);
      let lower = !(c >= 65 && c <= 90); // no uppercase letter so far
      let camel = false;
      let accent = c >= 0xc0;
      let underscores = c === 95 ? 1 : 0;
      let nonLetters = underscores;
      let j = i + 1;
      let after = 10; // the character that ends the word
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d >= 97 && d <= 122) {
          hash = hashStep(hash, d);
          check = checkStep(check, d);
          j++;
          continue;
        }
        if (d >= 65 && d <= 90) {
          // camelCase: an uppercase letter after at least two lowercase ones (getX, useState; not iPhone).
          if (j - start >= 2 && lower) camel = true;
          lower = false;
        } else if ((d >= 48 && d <= 57) || d === 95) {
          nonLetters++;
          if (d === 95) underscores++;
        } else if ((d === 39 || d === 0x2019) && j + 1 < n && isLatinLetter(text.charCodeAt(j + 1))) {
          nonLetters++;
        } else if (d >= 0xc0 && isLatinLetter(d)) {
          accent = true;
        } else {
          after = d;
          break;
        }
        const folded = foldChar(d);
        hash = hashStep(hash, folded);
        check = checkStep(check, folded);
        j++;
      }
      const len = j - start;
      const firstOnLine = lineNonSpace === 0;
      letters += len - nonLetters;
      words++;
      lineNonSpace += len;
      lineTokens++;

      let id = -1;
      let flags = 0;
      let value = 0;
      if (len <= LONGEST_ENTRY) {
        const found = lookupHash(hash);
        if (found >= 0 && ENTRY_CHECK[found] === check) {
          id = found;
          flags = ENTRY_FLAGS[found] ?? 0;
          value = ENTRY_VALUE[found] ?? 0;
        }
      }
      if (flags === EN_STOP) {
        // The commonest hit ("the", "and", "of"): nothing else to do.
        if (!inFence) s.englishStops++;
      } else if (flags !== 0) {
        if (flags & CODE_LINE_START && firstOnLine && lower) lineCode = true;
        if (flags & CONSTRUCT && lower && (inFence || (firstOnLine && lineStartKnown) || lineBrackets > 0)) {
          s.constructKinds |= 1 << (ENTRY_CONSTRUCT[id] ?? 0);
          if (lineBrackets > 0 && flags & COMPREHENSION_KEYWORD) s.constructKinds |= 1 << COMPREHENSION_BIT;
        }
        if (inFence) {
          // Inside a code block words are code, not instructions: only the code evidence counts.
          if (flags & CODE_STRONG) s.code += 1.5;
          if (flags & CODE_WEAK) s.code += 0.5;
        } else {
          addEvidence(s, flags, 1);
          if (flags & FORMAT) s.formatKinds |= 1 << (ENTRY_FORMAT[id] ?? 0);
          if (flags & NUMBER_WORD) s.quantities++;
          if (flags & LATEX && start > from && text.charCodeAt(start - 1) === 92) s.math += 2;
          if (flags & UNIT && pendingNumber > 0) {
            s.constraints += 1.5;
            const tokens = pendingNumber * value;
            if (tokens > s.outputTokensHint) s.outputTokensHint = tokens;
            s.formatKinds |= 1 << STATED_LENGTH_KIND;
          }
        }
      }
      if (prevId >= 0 && id >= 0 && !inFence) {
        const pair = LEXICON_BIGRAMS.get(bigramKey(prevId, id));
        if (pair !== undefined) addEvidence(s, pair.flags, pair.weight);
      }
      if (accent && !inFence) s.accentedWords++;
      if (underscores > 0 && underscores < len) s.code += 0.5;
      if (camel) s.code += 0.5;
      if (dotJoin && len >= 2) s.code += 0.5;
      if (len === 1) {
        if (mathPrev === 2 && !inFence) {
          s.math += 1;
          s.quantities++;
        }
        // "a)" opening a line: a lettered sub-task.
        if (firstOnLine && lineStartKnown && after === 41 && !inFence) s.subtasks++;
        // "C++" and "C#": the word is one letter, the language is in the punctuation after it.
        if (hash === C_HASH && (after === 35 || (after === 43 && j + 1 < n && text.charCodeAt(j + 1) === 43))) s.code += 1.5;
        mathPrev = 1;
      } else {
        mathPrev = 0;
      }
      dotJoin = after === 46 && len >= 2 && j + 1 < n && isLowercase(text.charCodeAt(j + 1));
      pendingNumber = flags & NUMBER_WORD ? value : 0;
      prevId = flags & BIGRAM_FIRST ? id : -1;
      i = j;
      continue;
    }

    // A number: digits, with inner '.' or ',' (3.14, 1,000).
    if (c >= 48 && c <= 57) {
      let j = i;
      let value = 0;
      let fraction = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d >= 48 && d <= 57) {
          if (!fraction && value < 1e9) value = value * 10 + (d - 48);
        } else if ((d === 46 || d === 44) && j + 1 < n && isDigit(text.charCodeAt(j + 1))) {
          if (d === 46) fraction = true;
          punct++;
        } else {
          break;
        }
        j++;
      }
      const after = j < n ? text.charCodeAt(j) : 10;
      if (!inFence) {
        s.numbers++;
        s.quantities++;
        if (mathPrev === 2) {
          s.math += 1;
          s.quantities++;
        }
        // "1." or "2)" opening a line: a numbered step or requirement.
        if (lineNonSpace === 0 && (after === 46 || after === 41)) {
          s.reasoning += 0.5;
          if (j - i <= 3 && lineStartKnown) s.subtasks++;
        }
      }
      mathPrev = 1;
      pendingNumber = fraction ? 0 : value;
      prevId = -1;
      lineTokens++;
      lineNonSpace += j - i;
      i = j;
      continue;
    }

    if (c === 32 || c === 9 || c === 13) {
      if (lineNonSpace === 0) lineIndent += c === 32 ? 1 : c === 9 ? 4 : 0;
      i++;
      continue;
    }

    if (c === 10) {
      if (lineNonSpace > 0) {
        const codeLine =
          lineInFence || lineCode || lineLast === 59 || lineLast === 123 || lineLast === 125 ||
          (lineSymbols >= 3 && lineSymbols * 6 >= lineNonSpace);
        if (codeLine) s.code += 1;
        if (lineIndent > 0 && lineStartKnown) s.indentWidths |= 1 << (Math.min(lineIndent, MAX_INDENT) - 1);
      }
      lineStartKnown = true;
      lineIndent = 0;
      lineBrackets = 0;
      lineNonSpace = 0;
      lineSymbols = 0;
      lineLast = 0;
      lineTokens = 0;
      lineCode = false;
      lineInFence = inFence;
      prevId = -1;
      pendingNumber = 0;
      mathPrev = 0;
      i++;
      continue;
    }

    // Backticks: three or more open or close a code block; one or two mark inline code.
    if (c === 96) {
      let j = i + 1;
      while (j < n && text.charCodeAt(j) === 96) j++;
      if (j - i >= 3) {
        if (!inFence) s.codeBlocks++;
        inFence = !inFence;
        s.code += 2;
      } else {
        s.code += 0.25;
      }
      punct += j - i;
      lineNonSpace += j - i;
      lineLast = 96;
      prevId = -1;
      pendingNumber = 0;
      mathPrev = 0;
      i = j;
      continue;
    }

    if (c < 128) {
      const prev = i > from ? text.charCodeAt(i - 1) : 10;
      punct++;
      if (isCodeSymbol(c)) lineSymbols++;
      if (isCodeDigraph(prev, c)) s.code += 0.5;
      if (c === 91 || c === 123) lineBrackets++;
      else if ((c === 93 || c === 125) && lineBrackets > 0) lineBrackets--;
      if (!inFence) {
        if (c === 63) s.questions++;
        if (c === 36 && i + 1 < n) {
          const next = text.charCodeAt(i + 1);
          if (isLowercase(next) || next === 92) s.math += 0.5;
        }
        if ((c === 45 || c === 42) && lineNonSpace === 0 && i + 1 < n && text.charCodeAt(i + 1) === 32) {
          s.constraints += 0.25; // a bullet: one more listed requirement
          if (lineStartKnown) s.subtasks++;
        }
      }
      if (isMathOperator(c)) {
        const spaced = isSpace(prev) && i + 1 < n && isSpace(text.charCodeAt(i + 1));
        if ((c === 45 || c === 47) && !spaced) {
          mathPrev = 0;
        } else if (mathPrev !== 0) {
          mathPrev = 2;
        }
      } else if (c !== 40 && c !== 41) {
        mathPrev = 0;
      }
      // A hyphen keeps word pairs and counts together: "step-by-step", "200-word".
      if (c !== 45) {
        prevId = -1;
        pendingNumber = 0;
      }
      lineNonSpace++;
      lineLast = c;
      i++;
      continue;
    }

    // Beyond ASCII (Latin letters were taken above as word characters).
    if (c < 0x370) {
      if (!inFence && (c === 0xb1 || c === 0xd7 || c === 0xf7 || c === 0xb2 || c === 0xb3)) s.math += 1.5;
    } else if (c < 0x2000) {
      // A lone Greek letter in Latin text is a symbol (π, θ, λ); a run of them is Greek.
      const lone = isGreek(c) && !(i > from && isGreek(text.charCodeAt(i - 1))) && !(i + 1 < n && isGreek(text.charCodeAt(i + 1)));
      if (lone) {
        if (!inFence) s.math += 1;
      } else {
        otherLetters++;
      }
      other++;
    } else if (c >= 0x2200 && c <= 0x22ff) {
      if (!inFence) s.math += 1.5;
      other++;
    } else if (isCjk(c)) {
      cjkLetters++;
      cjk++;
    } else if ((c >= 0x3000 && c <= 0x303f) || (c >= 0xff00 && c <= 0xffef)) {
      if (c === 0xff1f && !inFence) s.questions++;
      cjk++;
    } else if (c < 0xdc00 || c > 0xdfff) {
      // "• " opening a line: a bulleted sub-task.
      if (c === 0x2022 && lineNonSpace === 0 && lineStartKnown && !inFence && i + 1 < n && text.charCodeAt(i + 1) === 32) s.subtasks++;
      other++;
    } else {
      // A surrogate pair (emoji, rare ideographs) counts once, at its first half.
      secondHalves++;
    }
    prevId = -1;
    pendingNumber = 0;
    mathPrev = 0;
    lineNonSpace++;
    lineLast = c;
    i++;
  }

  s.latinLetters += letters;
  s.latinWords += words;
  s.cjkLetters += cjkLetters;
  s.otherScriptLetters += otherLetters;
  s.punctChars += punct;
  s.cjkChars += cjk;
  s.otherChars += other;
  // Everything not counted otherwise is Latin text, digits or whitespace.
  s.latinChars += n - from - punct - cjk - other - secondHalves;
}

const C_HASH = hashStep(HASH_SEED, 99);
/** Indentation widths above this many columns count as this one. */
const MAX_INDENT = 32;


function isLowercase(c: number): boolean {
  return c >= 97 && c <= 122;
}

function addEvidence(s: TextStats, flags: number, weight: number): void {
  if (flags & CODE_STRONG) s.code += 1.5 * weight;
  if (flags & CODE_WEAK) s.code += 0.5 * weight;
  if (flags & MATH) s.math += weight;
  if (flags & REASONING) s.reasoning += weight;
  if (flags & CONSTRAINT) s.constraints += weight;
  if (flags & CONSTRAINT_WEAK) s.constraints += 0.5 * weight;
  if (flags & LONG_OUTPUT) s.longOutput += weight;
  if (flags & SHORT_OUTPUT) s.shortOutput += weight;
  if (flags & EN_STOP) s.englishStops += weight;
  if (flags & FOREIGN_STOP) s.foreignStops += weight;
  s.sequence |= flags & (SEQ_FIRST | SEQ_THEN);
}
