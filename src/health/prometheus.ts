/**
 * Prometheus text exposition (format 0.0.4), the subset vLLM's /metrics prints: comments
 * (`# HELP`, `# TYPE`), and samples `name{label="value",...} value [timestamp]`. Scraped
 * text comes from servers we do not control, so a line that does not parse is skipped,
 * never thrown.
 */
export interface PromSample {
  readonly name: string;
  /** Null-prototype object: a label called `__proto__` is just a label. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** Milliseconds since the epoch, when the exposition gave one. */
  readonly timestamp?: number;
}

export interface ParseOptions {
  /** Keep only these metric names; others are dropped before their labels are parsed. */
  readonly only?: ReadonlySet<string>;
}

export function parsePrometheus(text: string, options: ParseOptions = {}): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split('\n')) {
    const sample = parseLine(line, options.only);
    if (sample !== undefined) samples.push(sample);
  }
  return samples;
}

const isNameStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === ':';
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9');
const isSpace = (c: string | undefined) => c === ' ' || c === '\t';

function parseLine(line: string, only: ReadonlySet<string> | undefined): PromSample | undefined {
  let i = 0;
  while (isSpace(line[i])) i++;
  const first = line[i];
  if (first === undefined || first === '#' || first === '\r') return undefined;
  if (!isNameStart(first)) return undefined;
  const nameStart = i;
  while (i < line.length && isNameChar(line[i] as string)) i++;
  const name = line.slice(nameStart, i);
  if (only !== undefined && !only.has(name)) return undefined;

  let labels: Record<string, string> = Object.create(null) as Record<string, string>;
  if (line[i] === '{') {
    const parsed = parseLabels(line, i + 1);
    if (parsed === undefined) return undefined;
    labels = parsed.labels;
    i = parsed.end;
  }
  // A space (or tab) must separate the name or label set from the value.
  if (!isSpace(line[i])) return undefined;
  const fields = line.slice(i).trim().split(/[ \t]+/);
  if (fields.length > 2) return undefined;
  const value = parseValue(fields[0] ?? '');
  if (value === undefined) return undefined;
  if (fields.length === 1) return { name, labels, value };
  const timestamp = parseTimestamp(fields[1] ?? '');
  if (timestamp === undefined) return undefined;
  return { name, labels, value, timestamp };
}

/** Parses `a="x",b="y"}` from `start` (just after `{`); returns the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels = Object.create(null) as Record<string, string>;
  let i = start;
  for (;;) {
    while (isSpace(line[i])) i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const c = line[i];
    if (c === undefined || !isNameStart(c) || c === ':') return undefined;
    const nameStart = i;
    while (i < line.length && isNameChar(line[i] as string) && line[i] !== ':') i++;
    const name = line.slice(nameStart, i);
    while (isSpace(line[i])) i++;
    if (line[i] !== '=') return undefined;
    i++;
    while (isSpace(line[i])) i++;
    if (line[i] !== '"') return undefined;
    i++;
    let value = '';
    let closed = false;
    while (i < line.length) {
      const ch = line[i] as string;
      if (ch === '"') {
        closed = true;
        i++;
        break;
      }
      if (ch === '\\') {
        const next = line[i + 1];
        if (next === undefined) return undefined;
        // The format defines \\, \" and \n; anything else is kept as written.
        value += next === 'n' ? '\n' : next === '\\' || next === '"' ? next : `\\${next}`;
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    if (!closed || name in labels) return undefined;
    labels[name] = value;
    while (isSpace(line[i])) i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return undefined;
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Go's ParseFloat as Prometheus uses it, minus hex floats: decimals, ±Inf, NaN. */
export function parseValue(token: string): number | undefined {
  if (DECIMAL.test(token)) return Number(token);
  switch (token.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Number.POSITIVE_INFINITY;
    case '-inf':
    case '-infinity':
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

function parseTimestamp(token: string): number | undefined {
  if (!/^-?\d+$/.test(token)) return undefined;
  const value = Number(token);
  return Number.isSafeInteger(value) ? value : undefined;
}
