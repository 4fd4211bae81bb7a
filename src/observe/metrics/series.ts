/** Label values as Prometheus' text format escapes them. */
export function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

/** `{a="x",b="y"}`: one series' labels, in the order given. */
export function labels(pairs: Readonly<Record<string, string>>): string {
  let out = '';
  for (const name in pairs) out += `${out === '' ? '{' : ','}${name}="${escapeLabel(pairs[name] as string)}"`;
  return out === '' ? '' : `${out}}`;
}

/** Adds `n` to a field of a delta map. */
export type Add = (field: string, n: number) => void;

