/**
 * The client's body with its `model` replaced, never re-serialized: the new id is spliced into
 * the client's own bytes, so a long prompt is not stringified again and every other byte reaches
 * vLLM as sent. When the text holds exactly one `"model": "<requested>"` member (the usual
 * case) it is found with a few `indexOf`s; anything less certain takes a scan of the top-level
 * members (linear, without recursion, whatever the nesting).
 */
export function rewriteModel(text: string, json: Record<string, unknown>, requested: string, model: string): string {
  const literal = JSON.stringify(requested);
  let valueAt = -1;
  let count = 0;
  for (let at = text.indexOf(KEY); at >= 0; at = text.indexOf(KEY, at + KEY.length)) {
    // In valid JSON a member's key follows `{` or `,` (and whitespace); anything else means
    // this `"model"` sits inside a string value.
    let before = at - 1;
    while (before >= 0 && isSpace(text.charCodeAt(before))) before--;
    const opener = text.charCodeAt(before);
    if (opener !== 0x7b && opener !== 0x2c) continue;
    let after = at + KEY.length;
    while (isSpace(text.charCodeAt(after))) after++;
    if (text.charCodeAt(after) !== 0x3a) continue;
    after++;
    while (isSpace(text.charCodeAt(after))) after++;
    count++;
    if (text.startsWith(literal, after)) valueAt = after;
  }
  // Exactly one `"model"` member anywhere, holding the literal as written: splice it. Unless a
  // key may spell `model` with escapes (`"mod\u0065l"`): then that one may be the top-level
  // member JSON.parse read, and the literal one a nested look-alike.
  if (count === 1 && valueAt >= 0 && !text.includes(ESCAPED_KEY_LETTER)) return text.slice(0, valueAt) + JSON.stringify(model) + text.slice(valueAt + literal.length);
  const member = lastTopLevelMember(text, 'model');
  if (member) return text.slice(0, member.start) + JSON.stringify(model) + text.slice(member.end);
  // Not reachable for a body that parsed with a string `model`; kept so the result is always right.
  return JSON.stringify({ ...json, model });
}

const KEY = '"model"';
/** The JSON escapes of d, e, l, m and o (\u0064 … \u006f) all start so; other escapes (é is \u00e9) do not. */
const ESCAPED_KEY_LETTER = '\\u006';
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, at: number): number {
  while (isSpace(text.charCodeAt(at))) at++;
  return at;
}

/** The index just past the string literal opening at `at` (its closing quote, escapes skipped). */
function stringEnd(text: string, at: number): number {
  for (let i = at + 1; ; ) {
    const quote = text.indexOf('"', i);
    if (quote < 0) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    i = quote + 1;
  }
}

/** The index just past the JSON value starting at `at`; containers are skipped with a depth count, not recursion. */
function valueEnd(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === 0x22) return stringEnd(text, at);
  if (first !== 0x7b && first !== 0x5b) {
    let i = at;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) i = stringEnd(text, i) - 1;
    else if (c === 0x7b || c === 0x5b) depth++;
    else if ((c === 0x7d || c === 0x5d) && --depth === 0) return i + 1;
  }
  return text.length;
}

/**
 * Where the value of the object's top-level member `name` sits, as JSON.parse reads it: keys
 * compared after unescaping (`"mod\u0065l"` is `model`), the last of duplicate keys winning.
 */
function lastTopLevelMember(text: string, name: string): { start: number; end: number } | undefined {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) return undefined;
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return undefined;
  let found: { start: number; end: number } | undefined;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) return undefined;
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) return undefined;
    const start = skipSpace(text, i + 1);
    const end = valueEnd(text, start);
    if (raw === name || (raw.includes('\\') && JSON.parse(`"${raw}"`) === name)) found = { start, end };
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) return found;
    if (c !== 0x2c) return undefined;
    i = skipSpace(text, i + 1);
  }
}
