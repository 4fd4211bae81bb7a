// serve's V8 heap settings: the flags bound the heap as stated, whether given on the command line
// or in NODE_OPTIONS, and the startup note names the production flags only when no bound is set.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVE_V8_FLAGS } from '../../../node/heap-settings.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SCRIPT = `import('./node/heap-settings.ts').then((m) => console.log(JSON.stringify({ note: m.heapSettingsNote(), limitMiB: process.getBuiltinModule('node:v8').getHeapStatistics().heap_size_limit / 2 ** 20 })))`;

function noteIn(args: readonly string[], nodeOptions: string): { note: string; limitMiB: number } {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  return JSON.parse(execFileSync(process.execPath, [...args, '--input-type=module', '-e', SCRIPT], { cwd: ROOT, env, encoding: 'utf8' })) as { note: string; limitMiB: number };
}

describe('serve heap settings', () => {
  it('bound the heap to the old-space bound plus three semi-spaces, on the command line', () => {
    const { note, limitMiB } = noteIn(SERVE_V8_FLAGS, '');
    expect(limitMiB).toBe(256 + 3 * 16);
    expect(note).toBe('V8 heap limit 304 MiB');
  });

  it('are read from NODE_OPTIONS too', () => {
    const { note, limitMiB } = noteIn([], SERVE_V8_FLAGS.join(' '));
    expect(limitMiB).toBe(304);
    expect(note).toBe('V8 heap limit 304 MiB');
  });

  it('are named in the startup note when serve runs without a heap bound', () => {
    const { note } = noteIn([], '');
    expect(note).toContain("V8's default for this machine; production: NODE_OPTIONS='--max-semi-space-size=16 --max-old-space-size=256'");
  });
});
