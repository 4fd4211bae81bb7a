// `npm run bench -- bundle`: the Worker bundle `wrangler deploy` uploads, against the size budget
// of issue 14 (at most 150 KiB gzip, minified, SageMaker backend included). Two builds side by
// side: `wrangler deploy --dry-run` itself (what deploy would upload: its "Total Upload" line),
// and the same bundle built in one esbuild call with wrangler's settings and a metafile (what
// `npm test` checks, and where the bytes come from). They must agree; the run fails when they
// do not, or when the bundle is over the budget.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadFleetFile } from '../cli/fleet-file.ts';
import { COMMON_USAGE, numberFlag, parseFlags, type Benchmark } from './lib/benchmark.ts';
import { BIN, childEnv, NODE, ROOT, start, stopAll } from './lib/children.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, machine } from './lib/run-info.ts';
import { median } from './lib/stats.ts';
import { BUNDLE_GZIP_CEILING, BUNDLE_GZIP_TARGET, buildWorkerBundle, wranglerBuildSettings, type WorkerBundle } from './lib/worker-bundle.ts';

const FLEET = 'infra/fleet.yaml';
/** Parts whose cost is measured by building without them (left external). */
const PARTS = [
  { name: 'the SageMaker signer and event-stream codec (`@smithy/*`)', external: ['@smithy/*'] },
  { name: 'the Upstash clients (`@upstash/*`)', external: ['@upstash/*'] },
  { name: 'both: what is left is the gateway with hono and zod/mini', external: ['@smithy/*', '@upstash/*'] },
] as const;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(2)} KiB`;
/** How far the esbuild mirror may drift from wrangler's own figure before the run fails. */
const AGREEMENT_BYTES = 1024;

interface WranglerBuild {
  raw: number;
  gzip: number;
  /** wrangler's own "Total Upload: … KiB / gzip: … KiB" line. */
  reported: string;
  modules: { path: string; bytes: number }[];
}

/** `wrangler deploy --dry-run --outdir`: the real build (its [build] step compiles the production fleet). */
async function wranglerDryRun(outdir: string): Promise<WranglerBuild> {
  let reported = '';
  const child = start(
    'wrangler deploy --dry-run',
    BIN('wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir],
    childEnv({ WRANGLER_SEND_METRICS: 'false', SWITCHYARD_FLEET: FLEET, FORCE_COLOR: '0' }),
    { onLine: (line) => (/Total Upload:/.test(line) ? (reported = line.trim()) : undefined) },
  );
  const code = await new Promise<number | null>((done) => child.proc.once('exit', done));
  if (code !== 0) throw new Error(`wrangler deploy --dry-run exited with ${code}:\n${child.tail()}`);
  // Every module wrangler would upload: the JavaScript it wrote (source maps and its README are not uploaded).
  const modules = readdirSync(outdir, { recursive: true, encoding: 'utf8' })
    .filter((p) => /\.(m?js|cjs)$/.test(p) && statSync(join(outdir, p)).isFile())
    .map((p) => ({ path: p, text: readFileSync(join(outdir, p), 'utf8').replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '') }));
  const all = modules.map((m) => m.text).join('');
  return { raw: Buffer.byteLength(all), gzip: gzipSync(all).byteLength, reported, modules: modules.map((m) => ({ path: m.path, bytes: Buffer.byteLength(m.text) })) };
}

interface PartCost {
  name: string;
  without: WorkerBundle;
  /** V8 compile time of the bundle without the part, against the whole one (medians over rounds). */
  compile?: { withMs: number; withoutMs: number };
}

function report(wrangler: WranglerBuild, mirror: WorkerBundle, parts: readonly PartCost[], top: number, tookMs: number): string {
  const settings = wranglerBuildSettings();
  const over = wrangler.gzip > BUNDLE_GZIP_TARGET;
  const pct = (bytes: number) => `${((bytes / BUNDLE_GZIP_TARGET) * 100).toFixed(1)}%`;
  const lines = [
    '## Worker bundle size',
    '',
    `Measured ${new Date().toISOString()} on ${machine()}, wrangler ${wranglerVersion()}; ${codeVersion()}. The Worker \`workers/gateway.ts\` over the production fleet \`${FLEET}\`, wrangler.toml \`minify = ${settings.minify}\`, \`keep_names = ${settings.keepNames}\`. Run took ${(tookMs / 1000).toFixed(1)} s (the machine is shared: compile times are indicative).`,
    '',
    '| Build | modules | raw | gzip |',
    '|---|---:|---:|---:|',
    `| \`wrangler deploy --dry-run --outdir\` (${wrangler.reported.replace(/\|/g, '\\|') || 'no "Total Upload" line'}) | ${wrangler.modules.length} | ${kib(wrangler.raw)} | ${kib(wrangler.gzip)} |`,
    `| one esbuild call with wrangler's settings (what \`npm test\` checks) | ${mirror.files.length} | ${kib(mirror.raw)} | ${kib(mirror.gzip)} |`,
    '',
    `**Target (issue 14):** at most ${kib(BUNDLE_GZIP_TARGET)} gzip, SageMaker backend included. Measured ${kib(wrangler.gzip)} (${pct(wrangler.gzip)} of the target): ${over ? '**FAIL**' : 'PASS'}. \`npm test\` fails above ${kib(BUNDLE_GZIP_CEILING)} (${over ? 'the size reached plus a little room, until the target is met' : 'the target'}).`,
    '',
    'What the largest parts cost: the same build with the part left out (external), side by side. Compile: V8 (Node) compiling the whole bundle as an ES module, what a new isolate parses before its first request, median of 5 rounds × 15 compiles each; dynamic imports are inlined by wrangler (esbuild without code splitting), so the lazily loaded SageMaker runtime client (\`src/backends/sagemaker/runtime-client.ts\` and the smithy packages it imports) is not evaluated until a SageMaker endpoint is called, but it is parsed with the rest.',
    '',
    '| Part | raw | gzip | bundle without it (gzip) | compile, whole bundle → without it |',
    '|---|---:|---:|---:|---:|',
    ...parts.map((p) => {
      const compile = p.compile ? `${p.compile.withMs.toFixed(1)} ms → ${p.compile.withoutMs.toFixed(1)} ms` : '—';
      return `| ${p.name} | ${kib(mirror.raw - p.without.raw)} | ${kib(mirror.gzip - p.without.gzip)} | ${kib(p.without.gzip)} (${pct(p.without.gzip)}) | ${compile} |`;
    }),
    '',
    `Top ${top} contributors (esbuild metafile: bytes each package or project folder puts in the minified output; "gzip alone" is those bytes gzipped on their own, cut out along the source map — a guide to each one's share; the parts do not add up to the total exactly):`,
    '',
    '| contributor | bytes in output | % of raw | gzip alone |',
    '|---|---:|---:|---:|',
    ...mirror.contributors.slice(0, top).map((c) => `| ${c.name} | ${c.bytes.toLocaleString('en-US')} | ${((c.bytes / mirror.raw) * 100).toFixed(1)}% | ${c.gzipAlone.toLocaleString('en-US')} |`),
    '',
    `Modules (wrangler's output): ${wrangler.modules.map((m) => `\`${m.path}\` ${kib(m.bytes)}`).join(', ')}.`,
    '',
    'Commands:',
    '',
    '```',
    'npm run bench -- bundle',
    `SWITCHYARD_FLEET=${FLEET} WRANGLER_SEND_METRICS=false node_modules/.bin/wrangler deploy --dry-run --outdir <tmp>`,
    'node_modules/.bin/vitest run --project unit test/unit/repo/bundle-size.test.ts   # the ceiling in npm test',
    '```',
  ];
  return lines.join('\n');
}

/** V8 compile time of each file, in child processes taking turns (medians of each file's round medians). */
function compileTimes(files: readonly string[], rounds: number): number[] {
  const samples = files.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    files.forEach((file, i) => {
      const out = execFileSync(NODE, ['--experimental-vm-modules', '--no-warnings', resolve(ROOT, 'bench', 'lib', 'module-compile.ts'), file, '15'], { encoding: 'utf8' });
      samples[i]?.push((JSON.parse(out) as { medianMs: number }).medianMs);
    });
  }
  return samples.map((s) => median(s));
}

function wranglerVersion(): string {
  return (JSON.parse(readFileSync(resolve(ROOT, 'node_modules', 'wrangler', 'package.json'), 'utf8')) as { version: string }).version;
}

export const benchmark: Benchmark = {
  summary: 'Worker bundle: wrangler deploy --dry-run and a metafile build side by side; raw and gzip sizes, what the largest parts cost, top contributors; fails over 150 KiB gzip',
  usage: ['  --top <n>        contributors listed (default 20)', COMMON_USAGE.split('\n').filter((l) => /--quick|--help/.test(l)).join('\n').replace('fewer, shorter measurements', 'no compile timing')].join('\n'),
  async run(argv) {
    const flags = parseFlags(argv, { top: { type: 'string' } });
    const top = numberFlag(flags.top, 20, 'top', true);
    const started = performance.now();
    const scratch = mkdtempSync(join(tmpdir(), 'switchyard-bundle-'));
    try {
      const wrangler = await wranglerDryRun(join(scratch, 'wrangler'));
      const fleetJson = JSON.stringify(loadFleetFile(resolve(ROOT, FLEET)).compiled);
      const mirror = await buildWorkerBundle(join(scratch, 'esbuild'), { fleetJson });
      const parts: PartCost[] = [];
      for (const [i, part] of PARTS.entries()) {
        parts.push({ name: part.name, without: await buildWorkerBundle(join(scratch, `without-${i}`), { fleetJson, external: part.external }) });
      }
      // Start-up parse: the whole bundle against the one without the smithy packages (the lazily loaded SageMaker part).
      const sdk = parts[0];
      if (sdk && !flags.quick) {
        const [withMs = Number.NaN, withoutMs = Number.NaN] = compileTimes([join(scratch, 'esbuild', 'gateway.js'), join(scratch, 'without-0', 'gateway.js')], 5);
        sdk.compile = { withMs, withoutMs };
      }
      const text = report(wrangler, mirror, parts, top, performance.now() - started);
      console.log(text);
      if (!flags.quick) {
        writeSection('bundle', text);
        console.log(`\nwritten to ${relative(process.cwd(), resolve(ROOT, 'bench', 'RESULTS.md'))}`);
      }
      const drift = Math.abs(wrangler.gzip - mirror.gzip);
      if (drift > AGREEMENT_BYTES) {
        console.error(`bench bundle: the esbuild mirror (${kib(mirror.gzip)} gzip) and wrangler (${kib(wrangler.gzip)}) disagree by ${drift} bytes: bench/lib/worker-bundle.ts no longer builds what wrangler builds`);
        return 1;
      }
      if (wrangler.gzip > BUNDLE_GZIP_TARGET) {
        console.error(`bench bundle: ${kib(wrangler.gzip)} gzip is over the ${kib(BUNDLE_GZIP_TARGET)} target`);
        return 1;
      }
      return 0;
    } finally {
      await stopAll();
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
