/**
 * Upstream error text reaches clients only after this: no internal URLs, hosts, IP addresses,
 * file paths, tracebacks or credentials. The full text stays in the operator's log (with
 * secrets still removed). Patterns, not a parser: what is left is the upstream's own words.
 */
const MAX_CHARS = 300;

const PATTERNS: readonly (readonly [RegExp, string])[] = [
  // A traceback is never for the client; keep what came before it.
  [/\s*Traceback \(most recent call last\)[\s\S]*$/i, ''],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi, '[url]'],
  [/\[[0-9a-f]*:[0-9a-f:.]+\](?::\d+)?/gi, '[address]'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '[address]'],
  [/\b(?:[a-z0-9-]+\.)*[a-z0-9-]+\.(?:svc|cluster\.local|internal|local|lan|corp|intra)\b(?::\d{1,5})?/gi, '[host]'],
  [/\b(?:[a-z0-9-]+\.)+[a-z]{2,}:\d{1,5}\b/gi, '[host]'],
  [/\blocalhost(?::\d{1,5})?\b/gi, '[host]'],
  [/(?<=^|[\s"'(=:])(?:\/[\w.@-]+){2,}\/?/g, '[path]'],
  [/\b[A-Z]:\\(?:[\w.-]+\\)*[\w.-]+/g, '[path]'],
];

export interface RedactOptions {
  /** Exact strings that must never appear (the region's upstream token, the fleet's hostnames). */
  secrets?: readonly (string | undefined)[];
}

/** The text with secrets removed: what the operator log may keep. */
export function withoutSecrets(text: string, options: RedactOptions = {}): string {
  let out = text;
  for (const secret of options.secrets ?? []) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  return out.replace(/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]');
}

/** The text a client may see: secrets, then hosts, addresses, URLs, paths and tracebacks removed, and short. */
export function redactForClient(text: string, options: RedactOptions = {}): string {
  let out = withoutSecrets(text, options);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_CHARS ? `${out.slice(0, MAX_CHARS - 1)}…` : out;
}
