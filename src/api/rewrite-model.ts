/**
 * The client's body with its `model` replaced, re-serialized only when unavoidable. When the
 * text holds exactly one `"model": "<requested>"` member (the usual case), the new id is
 * spliced into the client's own bytes: a long prompt is not stringified again, and every
 * other byte reaches vLLM as sent. Anything less certain falls back to JSON.stringify.
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
  // Exactly one `"model"` member anywhere, holding the literal as written: splice it.
  if (count === 1 && valueAt >= 0) return text.slice(0, valueAt) + JSON.stringify(model) + text.slice(valueAt + literal.length);
  return JSON.stringify({ ...json, model });
}

const KEY = '"model"';
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
