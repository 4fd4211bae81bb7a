/**
 * Upstream text reaches clients only after this: no internal URLs, hosts, IP addresses, file
 * paths, stack traces or credentials. The full text stays in the operator's log, with secrets
 * still removed. Patterns, not a parser: what is left is the upstream's own words. Only a
 * client's own mistakes (an upstream 4xx about the body) are worth showing at all; the other
 * failures reach the client as a status and a fixed summary (src/backends/upstream-error.ts).
 */
const MAX_CHARS = 300;

/** Credential shapes, whoever they belong to: bearer tokens, OpenAI-style and Switchyard keys, AWS access key ids, `key=value` secrets. */
const CREDENTIALS: readonly (readonly [RegExp, string])[] = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]+/gi, 'Bearer [redacted]'],
  [/\b(?:sk|sy|rk|pk)-[A-Za-z0-9_-]{16,}/g, '[redacted]'],
  [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, '[redacted]'],
  [/\b((?:api[_-]?key|access[_-]?key|secret|token|password|passwd|authorization)["']?\s*[:=]\s*["']?)(?!Bearer\b|\[redacted\])[^\s"',;]+/gi, '$1[redacted]'],
];

const PATTERNS: readonly (readonly [RegExp, string])[] = [
  // A stack trace is never for the client; keep what came before it. Python, Node / Java, Go.
  [/\s*Traceback \(most recent call last\)[\s\S]*$/i, ''],
  [/\n[ \t]+at [^\n]*(?:\(|:\d+)[\s\S]*$/, ''],
  [/\s*goroutine \d+ \[[\s\S]*$/, ''],
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>)\]]+/gi, '[url]'],
  [/\[[0-9a-f]*:[0-9a-f:.%\w]+\](?::\d+)?/gi, '[address]'],
  // Bare IPv6: a `::` somewhere, or eight groups.
  [/(?<![\w:])(?:[0-9a-f]{1,4}:){1,7}:(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?:%\w+)?(?![\w:])/gi, '[address]'],
  [/(?<![\w:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![\w:])/gi, '[address]'],
  [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b/g, '[address]'],
  [/\b(?:[a-z0-9-]+\.)*[a-z0-9-]+\.(?:svc|cluster\.local|internal|local|lan|corp|intra|home|localdomain)\b(?::\d{1,5})?/gi, '[host]'],
  // Host names under the common public suffixes, and any name with a port.
  [/\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|ai|dev|cloud|app|co|us|eu|uk|de|fr|jp|sg|in|info|biz|tech|sh|run|site|xyz|aws|gcp|azure)\b(?::\d{1,5})?/gi, '[host]'],
  [/\b(?:[a-z0-9-]+\.)+[a-z]{2,}:\d{1,5}\b/gi, '[host]'],
  [/\blocalhost(?::\d{1,5})?\b/gi, '[host]'],
  [/(?<=^|[\s"'(=:,])(?:\/[\w.@-]+){2,}\/?/g, '[path]'],
  [/\b[A-Z]:\\(?:[\w.-]+\\)*[\w.-]+/g, '[path]'],
];

export interface RedactOptions {
  /** Exact strings that must never appear, not even in the log (every upstream credential the gateway holds). */
  secrets?: readonly (string | undefined)[];
  /** Exact strings the client must not see (the fleet's upstream hosts); the operator may. */
  internal?: readonly string[];
}

/** The text with secrets removed: what the operator log may keep. */
export function withoutSecrets(text: string, options: RedactOptions = {}): string {
  let out = text;
  for (const secret of options.secrets ?? []) if (secret && secret.length >= 4) out = out.split(secret).join('[redacted]');
  for (const [pattern, replacement] of CREDENTIALS) out = out.replace(pattern, replacement);
  return out;
}

/**
 * How much of an upstream's text the client patterns scan. Some backtrack in time quadratic in a
 * run of `a.a.a.…` or `a-a-a-…` (a megabyte took minutes, the event loop blocked): only the head
 * can reach the client anyway.
 */
const MAX_SCAN_CHARS = 4 * MAX_CHARS;

/** The text a client may see: secrets, then hosts, addresses, URLs, paths and stack traces removed, and short. */
export function redactForClient(text: string, options: RedactOptions = {}): string {
  let out = withoutSecrets(text, options);
  for (const host of options.internal ?? []) out = out.split(host).join('[host]');
  if (out.length > MAX_SCAN_CHARS) {
    // Cut at a space, so no half host, URL or path slips past the patterns; a text without one is dropped whole.
    const space = out.lastIndexOf(' ', MAX_SCAN_CHARS);
    out = space > 0 ? `${out.slice(0, space)} …` : '…';
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  out = out.replace(/\s+/g, ' ').trim();
  return out.length > MAX_CHARS ? `${out.slice(0, MAX_CHARS - 1)}…` : out;
}

/**
 * An upstream's `code` or `param`, when it is a plain identifier (`context_length_exceeded`,
 * `messages.0.content`, `tools[1]`); anything else (a URL, a path, a sentence) is not passed on.
 */
export const safeIdentifier = (value: string | null): string | null =>
  value !== null && /^[A-Za-z_][\w.[\]-]{0,63}$/.test(value) ? value : null;
