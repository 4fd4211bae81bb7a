// The Worker bundle as `wrangler deploy` builds it, built here with wrangler's own esbuild and
// wrangler's own settings (wrangler 4.164 `bundleWorker`: esm, target es2024, conditions
// workerd/worker/browser, production NODE_ENV, the `minify` and `keep_names` of wrangler.toml),
// in one esbuild call and a metafile: what `npm test` checks against the size budget and what
// the bundle benchmark breaks down. The benchmark also runs `wrangler deploy --dry-run` and
// compares, so a drift between this mirror and wrangler shows up there.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Metafile, Plugin } from 'esbuild';
import { ROOT } from './children.ts';

/** Issue 14's target: the Worker, SageMaker backend included, at most this many gzip bytes. */
export const BUNDLE_GZIP_TARGET = 150 * 1024;
/**
 * What `npm test` enforces: the target itself, met since the SageMaker backend signs and
 * decodes with smithy's packages instead of the whole AWS SDK client (130.0 KiB gzip, December
 * 2026). Growing past it fails CI.
 */
export const BUNDLE_GZIP_CEILING = BUNDLE_GZIP_TARGET;

export interface BundleFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly bytes: number;
}

export interface Contributor {
  /** An npm package, or a project folder (`src/observe`). */
  readonly name: string;
  /** Bytes in the (minified) output, from the metafile. */
  readonly bytes: number;
  /** Its output bytes gzipped on their own (from the source map): a share of the gzip total, not an exact split. */
  readonly gzipAlone: number;
}

export interface WorkerBundle {
  readonly files: readonly BundleFile[];
  /** All modules together, as wrangler's "Total Upload" counts them. */
  readonly raw: number;
  readonly gzip: number;
  readonly contributors: readonly Contributor[];
  readonly metafile: Metafile;
}

export interface WranglerSettings {
  main: string;
  /** wrangler's defaults: false / true. */
  minify: boolean;
  keepNames: boolean;
  compatibilityDate: string;
  compatibilityFlags: readonly string[];
}

/** What the bundle and the runtime take from wrangler.toml's top level (plain `key = value` lines). */
export function wranglerBuildSettings(toml = readFileSync(resolve(ROOT, 'wrangler.toml'), 'utf8')): WranglerSettings {
  const topLevel = toml.split(/^\[/m)[0] ?? '';
  const value = (key: string) => new RegExp(`^${key}\\s*=\\s*(.*?)\\s*(?:#.*)?$`, 'm').exec(topLevel)?.[1];
  const string = (key: string) => /^"([^"]*)"$/.exec(value(key) ?? '')?.[1];
  const main = string('main');
  const compatibilityDate = string('compatibility_date');
  if (!main || !compatibilityDate) throw new Error('wrangler.toml has no top-level main or compatibility_date');
  return {
    main,
    minify: value('minify') === 'true',
    keepNames: value('keep_names') !== 'false',
    compatibilityDate,
    compatibilityFlags: [...(value('compatibility_flags') ?? '').matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ''),
  };
}

/** wrangler's esbuild (the one it pins), not whichever a future devDependency would hoist. */
async function wranglerEsbuild(): Promise<typeof import('esbuild')> {
  const fromWrangler = createRequire(resolve(ROOT, 'node_modules', 'wrangler', 'package.json'));
  return (await import(fromWrangler.resolve('esbuild'))) as typeof import('esbuild');
}

/**
 * Builds the Worker into `outdir`. `fleetJson`, when given, is the compiled fleet bundled in
 * place of workers/fleet.generated.json (which `wrangler deploy`'s build step writes);
 * `external` leaves packages out (esbuild globs such as `@smithy/*`); `entry` bundles another
 * module than wrangler.toml's `main` with the same settings (a benchmark's own Worker).
 */
export async function buildWorkerBundle(outdir: string, options: { fleetJson?: string; external?: readonly string[]; entry?: string } = {}): Promise<WorkerBundle> {
  const esbuild = await wranglerEsbuild();
  const settings = wranglerBuildSettings();
  const plugins: Plugin[] = [
    {
      // wrangler: `cloudflare:*` are the runtime's; with nodejs_compat, node builtins workerd provides are too.
      name: 'runtime-modules',
      setup(build) {
        build.onResolve({ filter: /^(cloudflare|node):/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ];
  const fleetJson = options.fleetJson;
  if (fleetJson !== undefined) {
    plugins.push({
      name: 'compiled-fleet',
      setup(build) {
        build.onResolve({ filter: /\/fleet\.generated\.json$/ }, () => ({ path: 'workers/fleet.generated.json', namespace: 'compiled-fleet' }));
        build.onLoad({ filter: /.*/, namespace: 'compiled-fleet' }, () => ({ contents: fleetJson, loader: 'json' }));
      },
    });
  }
  const result = await esbuild.build({
    entryPoints: [resolve(ROOT, options.entry ?? settings.main)],
    absWorkingDir: ROOT,
    bundle: true,
    outdir,
    entryNames: '[name]',
    format: 'esm',
    target: 'es2024',
    supported: { 'import-source': true, using: true },
    conditions: ['workerd', 'worker', 'browser'],
    define: {
      'process.env.NODE_ENV': '"production"',
      'global.process.env.NODE_ENV': '"production"',
      'globalThis.process.env.NODE_ENV': '"production"',
    },
    loader: { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx' },
    // `external` (packages left out) is for measuring what a part of the bundle costs.
    external: ['__STATIC_CONTENT_MANIFEST', ...(options.external ?? [])],
    minify: settings.minify,
    keepNames: settings.keepNames,
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    plugins,
  });
  const outputs = Object.entries(result.metafile.outputs).filter(([path]) => !path.endsWith('.map'));
  const files: BundleFile[] = [];
  const texts: string[] = [];
  for (const [path] of outputs) {
    // wrangler uploads a module without its sourceMappingURL comment.
    const text = readFileSync(resolve(ROOT, path), 'utf8').replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '');
    texts.push(text);
    files.push({ path: relative(resolve(ROOT, outdir), resolve(ROOT, path)), bytes: Buffer.byteLength(text) });
  }
  const all = texts.join('');
  return {
    files,
    raw: Buffer.byteLength(all),
    // wrangler's figure: zlib's default level over all modules, one after another.
    gzip: gzipSync(all).byteLength,
    contributors: contributors(result.metafile, outputs.map(([path]) => resolve(ROOT, path))),
    metafile: result.metafile,
  };
}

/** Where an input file belongs: its npm package, or its project folder. */
export function contributorOf(input: string): string {
  if (input.startsWith('compiled-fleet:')) return input.slice('compiled-fleet:'.length);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (pkg?.[1]) return pkg[1];
  const path = input.replace(/^(?:\.\.\/)+/, '');
  const dir = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : path;
  return dir;
}

function contributors(metafile: Metafile, outputFiles: readonly string[]): Contributor[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = contributorOf(input);
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  const pieces = new Map<string, string[]>();
  for (const file of outputFiles) {
    for (const [source, text] of sourceSlices(file)) {
      const name = contributorOf(source);
      let list = pieces.get(name);
      if (!list) pieces.set(name, (list = []));
      list.push(text);
    }
  }
  return [...bytes]
    .filter(([, b]) => b > 0)
    .map(([name, b]) => ({ name, bytes: b, gzipAlone: gzipSync((pieces.get(name) ?? []).join('')).byteLength }))
    .sort((a, b) => b.bytes - a.bytes);
}

/**
 * The output cut into the runs each source produced, from the output's source map (a mapping
 * starts a run; the run ends at the next mapping). Sources are relative to the output folder.
 */
function sourceSlices(outputFile: string): [string, string][] {
  const code = readFileSync(outputFile, 'utf8');
  const map = JSON.parse(readFileSync(`${outputFile}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const lineStarts = [0];
  for (let i = code.indexOf('\n'); i >= 0; i = code.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const starts: { at: number; source: number }[] = [];
  let source = 0;
  map.mappings.split(';').forEach((line, lineIndex) => {
    let column = 0;
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields = decodeVlq(segment);
      column += fields[0] ?? 0;
      if (fields.length < 4) continue;
      source += fields[1] ?? 0;
      starts.push({ at: (lineStarts[lineIndex] ?? code.length) + column, source });
    }
  });
  starts.sort((a, b) => a.at - b.at);
  const slices: [string, string][] = [];
  starts.forEach((s, i) => {
    const end = starts[i + 1]?.at ?? code.length;
    slices.push([relative(ROOT, resolve(outputFile, '..', map.sources[s.source] ?? '')), code.slice(s.at, end)]);
  });
  return slices;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One source-map segment: base64 VLQ numbers (only the fields' deltas; the caller sums them). */
function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
