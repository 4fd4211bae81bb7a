// Run as a child (`node --experimental-vm-modules bench/lib/module-compile.ts <file> <rounds>`):
// how long V8 takes to compile a bundled ES module, the parse every new isolate pays before the
// Worker's first request, whatever the module later evaluates. Prints {"medianMs","minMs"}.
// Each round's source differs by a trailing comment, so V8's compilation cache cannot answer.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import vm from 'node:vm';

const [file, roundsArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: module-compile.ts <file> [rounds]');
const source = readFileSync(file, 'utf8');
const rounds = Number(roundsArg ?? 15);
const times: number[] = [];
for (let i = 0; i < rounds; i++) {
  const text = `${source}\n// round ${i} ${Math.random()}`;
  const started = performance.now();
  new vm.SourceTextModule(text, { identifier: `bundle-${i}.js` });
  times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
process.stdout.write(`${JSON.stringify({ medianMs: times[Math.floor(times.length / 2)], minMs: times[0] })}\n`);
