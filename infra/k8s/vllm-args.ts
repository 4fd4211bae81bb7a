/**
 * vLLM / KServe command-line arguments as the fleet writes them: `--flag=value`, `--flag value`
 * or a bare `--flag`. Edits keep the operator's spelling where a flag already exists.
 */

/** The value of the first of `flags` present, or undefined. */
export function argValue(args: readonly string[], ...flags: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    for (const flag of flags) {
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
      if (arg === flag) {
        const next = args[i + 1];
        return next !== undefined && !next.startsWith('--') ? next : '';
      }
    }
  }
  return undefined;
}

/** Removes every occurrence of the flags (with their separate value, if any). */
export function withoutArg(args: readonly string[], ...flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (flags.some((f) => arg.startsWith(`${f}=`))) continue;
    if (flags.includes(arg)) {
      const next = args[i + 1];
      if (next !== undefined && !next.startsWith('--')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** Sets `flag` to `value`: replaced where it first stands (under any of `aliases`), else appended as `--flag=value`; later duplicates go. */
export function withArg(args: readonly string[], flag: string, value: string, ...aliases: string[]): string[] {
  const names = [flag, ...aliases];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const name = names.find((f) => arg.startsWith(`${f}=`) || arg === f);
    if (name === undefined) continue;
    const next = args[i + 1];
    const separateValue = arg === name && next !== undefined && !next.startsWith('--');
    const rest = args.slice(i + (separateValue ? 2 : 1));
    const replaced = arg === name ? [name, value] : [`${name}=${value}`];
    return [...args.slice(0, i), ...replaced, ...withoutArg(rest, ...names)];
  }
  return [...args, `${flag}=${value}`];
}

