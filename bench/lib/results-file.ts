// bench/RESULTS.md holds one section per benchmark, each between its own markers, so every
// benchmark refreshes its section and leaves the others alone.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './children.ts';

export const RESULTS_FILE = resolve(ROOT, 'bench', 'RESULTS.md');

const HEADER = `# Switchyard benchmark results

Written by \`npm run bench -- <name>\`; each benchmark refreshes only its own section (between
its \`<!-- name:start -->\` / \`<!-- name:end -->\` markers). Numbers are from the machine named
in each section, measured side by side in one run: compare ratios, not absolute figures.
`;

/**
 * Replaces the section `name` of bench/RESULTS.md with `body`; a new section goes right after
 * the section `after` when that exists, else at the end.
 */
export function writeSection(name: string, body: string, options: { after?: string; file?: string } = {}): void {
  const file = options.file ?? RESULTS_FILE;
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `${HEADER}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  let next: string;
  if (from >= 0 && to > from) {
    next = current.slice(0, from) + block + current.slice(to + end.length);
  } else {
    const anchor = options.after === undefined ? -1 : current.indexOf(`<!-- ${options.after}:end -->`);
    if (anchor >= 0) {
      const at = anchor + `<!-- ${options.after}:end -->`.length;
      next = `${current.slice(0, at)}\n\n${block}${current.slice(at)}`;
    } else {
      next = `${current.replace(/\n*$/, '\n\n')}${block}\n`;
    }
  }
  writeFileSync(file, next);
}

/**
 * The end of a benchmark run: prints its section, keeps a copy in bench/out when `copy` names
 * one, and writes it into bench/RESULTS.md unless the run was a quick one.
 */
export function publishSection(name: string, markdown: string, options: { quick: boolean; after?: string; copy?: string }): void {
  console.log(`\n${markdown}\n`);
  if (options.copy !== undefined) writeFileSync(options.copy, markdown + '\n');
  if (options.quick) {
    console.log('(quick run: bench/RESULTS.md not updated)');
    return;
  }
  writeSection(name, markdown, options.after === undefined ? {} : { after: options.after });
  console.log(`wrote the ${name} section of bench/RESULTS.md`);
}
