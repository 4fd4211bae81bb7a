// `npm run bench -- workerd`: what the Worker costs in raw `workerd serve`, next to the floor.
//   floor       bench/bare-worker.ts: a pass-through Worker (fetch(upstream + path, request)),
//               what workerd's own HTTP stack, fetch, Request and Response cost per request
//   switchyard  the Worker of workers/gateway.ts over the benchmark's fleet
//   baseline    (with --baseline <git ref>) the same Worker from that commit's src/ and workers/,
//               so a change is measured against the code before it in the same run
// All bundled with the same settings (bench/lib/worker-bundle.ts: wrangler's esbuild and
// wrangler.toml's), each in its own `workerd serve` on the same generated config
// (bench/lib/workerd.ts), against one `switchyard sim --profile zero`, in interleaved rounds at
// 32 connections: CPU per request of each workerd process from /proc. Then each Worker once more
// under its inspector's CPU profiler, split into the isolate's JavaScript (what Cloudflare bills),
// the runtime's native code called from it, GC, and the rest of the process; each Worker's own
// code replayed inside its isolate against a canned upstream (bench/in-isolate-loop.ts); and what
// single runtime calls cost there (bench/runtime-calls-worker.ts), since the profiler inflates them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { loadFleetFile } from '../cli/fleet-file.ts';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { COMMON_USAGE, numberFlag, parseFlags, UsageError, type Benchmark } from './lib/benchmark.ts';
import { baselineTree } from './lib/baseline-tree.ts';
import { ROOT, stopAllAndReport, type Child } from './lib/children.ts';
import { groupCpuPreciseMs } from './lib/cpu-usage.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuprofile.ts';
import { profileDuring, sourceMapped } from './lib/inspector-profile.ts';
import { assertClean, load, type HttpTarget, type LoadResult } from './lib/measure.ts';
import { publishSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, median } from './lib/stats.ts';
import { bundleEntry, startWorkerd, type StartedWorkerd, type WorkerBundle } from './lib/workerd.ts';
import { fleetYaml, startSimulator, targetFor, workerBindings } from './overhead.ts';
import { FETCH_OPS, RUNTIME_CALLS } from './runtime-calls-worker.ts';

const CONNECTIONS = 32;
const OUT = resolve(ROOT, 'bench', 'out', 'workerd-bench');
const PROFILE_DIR = resolve(ROOT, 'bench', 'out', 'cpu-prof');
/** V8's sampling interval: a request costs a few hundred µs of CPU in workerd. */
const SAMPLING_US = 100;
const TARGET_CPU_US = 150;
const rel = (path: string) => relative(ROOT, path);

type VariantId = 'floor' | 'switchyard' | 'model-id' | 'unmetered' | 'baseline';
/** The variants that only switch a part of the same Worker off: measured, not profiled. */
const PARTS_OFF: readonly VariantId[] = ['model-id', 'unmetered'];

/** Calls per request in the runtime-calls Worker, and requests per operation (the least disturbed one counts). */
const CALLS_PER_REQUEST = 20_000;
/** The same for the operations that fetch from the simulator (each a real exchange). */
const FETCHES_PER_REQUEST = 2_000;
const CALL_REPEATS = 3;

interface Variant {
  id: VariantId;
  label: string;
  bundle: WorkerBundle;
  bindings: Record<string, string>;
  /** The request body's `model`. */
  model: string;
  /** What answers once the Worker is up: the floor forwards everything, so the simulator's /health. */
  readyPath: string;
  /** The module whose default export is the Worker (for the in-isolate loop). */
  entry: string;
}

interface Round {
  rps: number;
  p50: number;
  cpuUs: number;
  simCpuUs: number;
}

interface Settings {
  duration: number;
  rounds: number;
  warmup: number;
  profileSeconds: number;
  quick: boolean;
  baseline: string | undefined;
  profile: boolean;
  partsOff: boolean;
}

const USAGE = `${COMMON_USAGE}
  --baseline <ref>  also measure the Worker built from this git ref's src/ and workers/ (e.g. main,
                    HEAD~1): a change against the code before it, in the same run
  --no-profile      leave out the inspector profiles (the comparison only)
  --parts-off       also the same Worker with a concrete model id (no classification) and with
                    metering off: what each part adds

Defaults: --duration 5 --rounds 3, profiles of 10 s; --quick: --duration 2 --rounds 1, profiles of 3 s.`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, { baseline: { type: 'string' }, 'no-profile': { type: 'boolean', default: false }, 'parts-off': { type: 'boolean', default: false } });
  const quick = f.quick === true;
  const baseline = typeof f.baseline === 'string' ? f.baseline : undefined;
  if (baseline !== undefined && !/^[\w./~^@-]+$/.test(baseline)) throw new UsageError(`--baseline takes a git ref (got "${baseline}")`);
  return {
    duration: numberFlag(f.duration, quick ? 2 : 5, 'duration'),
    rounds: numberFlag(f.rounds, quick ? 1 : 3, 'rounds', true),
    warmup: quick ? 1 : 3,
    profileSeconds: quick ? 3 : 10,
    quick,
    baseline,
    profile: f['no-profile'] !== true,
    partsOff: f['parts-off'] === true,
  };
}

// ---------------------------------------------------------------- bundles

/** src/ and workers/ as they were at `ref` (bench/lib/baseline-tree.ts). */
function workerBaseline(ref: string): { entry: string; commit: string } {
  const { dir, commit } = baselineTree(ref, 'bench-baseline', ['src', 'workers']);
  return { entry: rel(resolve(dir, 'workers', 'gateway.ts')), commit };
}

// ---------------------------------------------------------------- measuring

async function probe(v: Variant, target: HttpTarget): Promise<void> {
  const r = await fetch(target.origin + target.path, { method: 'POST', headers: target.headers, body: target.body, signal: AbortSignal.timeout(15_000) });
  const text = await r.text();
  const tier = r.headers.get('x-switchyard-tier');
  const ok = r.status === 200 && text.includes('"choices"') && (v.id === 'floor' || tier === 'small');
  if (!ok) throw new Error(`${v.label}: the probe request answered ${r.status} (tier ${tier ?? 'none'}): ${text.slice(0, 300)}`);
}

const cpuMs = (child: Child) => groupCpuPreciseMs(child.proc.pid ?? -1) ?? Number.NaN;

async function measure(w: StartedWorkerd, sim: Child, target: HttpTarget, seconds: number, label: string): Promise<{ result: LoadResult; cpuUs: number; simCpuUs: number }> {
  const before = cpuMs(w.child);
  const simBefore = cpuMs(sim);
  const result = await load(target, CONNECTIONS, seconds);
  const cpuUs = ((cpuMs(w.child) - before) * 1000) / result.requests;
  const simCpuUs = ((cpuMs(sim) - simBefore) * 1000) / result.requests;
  assertClean(label, result);
  return { result, cpuUs, simCpuUs };
}

// ---------------------------------------------------------------- the isolate's split

/** Where a sample's time went, from its leaf frame. */
type Part = 'project' | 'packages' | 'bundle' | 'native' | 'gc' | 'program' | 'idle';
const PART_LABELS: Record<Part, string> = {
  project: 'JavaScript: project code (src/, workers/, bench/)',
  packages: 'JavaScript: packages (hono, zod, …)',
  bundle: 'JavaScript: bundle frames the source map does not place',
  native: 'runtime / V8 native called from JavaScript (fetch, Response, Headers, crypto, timers, builtins)',
  gc: 'garbage collector',
  program: '(program): V8 entered, no JavaScript frame (parsing, compiling, runtime glue)',
  idle: 'idle (the isolate thread waiting: I/O, the HTTP stack, descheduled)',
};
const PARTS = Object.keys(PART_LABELS) as Part[];

function partOf(functionName: string, url: string, bundleModule: string): Part {
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(program)' || functionName === '(root)') return 'program';
  if (url === '') return 'native';
  if (url.includes('/node_modules/')) return 'packages';
  if (url.endsWith(bundleModule)) return 'bundle';
  return 'project';
}

interface Split {
  ms: Record<Part, number>;
  totalMs: number;
}

function splitOf(profile: CpuProfile, bundleModule: string): Split {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const ms = Object.fromEntries(PARTS.map((p) => [p, 0])) as Record<Part, number>;
  let totalMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i] ?? -1);
    if (!frame) continue;
    const sampleMs = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    ms[partOf(frame.functionName, frame.url, bundleModule)] += sampleMs;
    totalMs += sampleMs;
  }
  return { ms, totalMs };
}

interface Profiled {
  variant: Variant;
  rps: number;
  requests: number;
  /** The workerd process's CPU per request under the profiler (from /proc). */
  cpuUs: number;
  /** Threads of the workerd process and each one's CPU per request under the profiler. */
  threads: { name: string; cpuUs: number }[];
  split: Split;
  summary: ProfileSummary;
  file: string;
}

/** CPU of each thread of a process so far (/proc schedstat): "name (tid)" → ms; empty without /proc. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  const tasks = `/proc/${pid}/task`;
  if (!existsSync(tasks)) return out;
  for (const tid of readdirSync(tasks)) {
    try {
      const name = readFileSync(`${tasks}/${tid}/comm`, 'utf8').trim();
      out.set(`${name} (${tid})`, Number(readFileSync(`${tasks}/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch {
      continue; // the thread exited
    }
  }
  return out;
}

async function profiled(v: Variant, apiKey: string, s: Settings, stamp: string): Promise<Profiled> {
  const w = await startWorkerd(v.bundle, v.bindings, { inspector: true, readyPath: v.readyPath });
  if (!w.inspector) throw new Error('workerd started without an inspector');
  const target = targetFor(w.url, v.model, apiKey);
  await probe(v, target);
  assertClean(`${v.label} warm-up (profiled)`, await load(target, CONNECTIONS, s.warmup));
  const pid = w.child.proc.pid ?? -1;
  const threadsBefore = threadCpuMs(pid);
  const before = cpuMs(w.child);
  const { profile, result } = await profileDuring(w.inspector, v.id, SAMPLING_US, () => load(target, CONNECTIONS, s.profileSeconds));
  const cpuUs = ((cpuMs(w.child) - before) * 1000) / result.requests;
  const threadsAfter = threadCpuMs(pid);
  assertClean(`${v.label} under the profiler`, result);
  const threads = [...threadsAfter]
    .map(([name, ms]) => ({ name, cpuUs: ((ms - (threadsBefore.get(name) ?? 0)) * 1000) / result.requests }))
    .filter((t) => t.cpuUs >= 1)
    .sort((a, b) => b.cpuUs - a.cpuUs);
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = resolve(PROFILE_DIR, `workerd-${v.id}-${stamp}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  const { profile: mapped } = sourceMapped(profile, v.bundle.module, resolve(v.bundle.dir, `${v.bundle.module}.map`));
  return { variant: v, rps: result.rps, requests: result.requests, cpuUs, threads, split: splitOf(mapped, v.bundle.module), summary: summarizeProfile(mapped, 10), file };
}

// ---------------------------------------------------------------- the in-isolate loop

const LOOP_REQUESTS = 5_000;

/**
 * Each Worker wrapped by bench/in-isolate-loop.ts in its own workerd, replaying the benchmark's
 * request LOOP_REQUESTS times inside the isolate against a canned upstream, in `repeats`
 * interleaved rounds: the Worker's own code per request, CPU µs (the process's over the loop).
 */
async function loopCosts(variants: readonly Variant[], apiKey: string, fleetJson: string, upstream: string, repeats: number): Promise<Map<VariantId, number[]>> {
  const started: { v: Variant; w: StartedWorkerd }[] = [];
  for (const v of variants) {
    const entryFile = resolve(OUT, `loop-${v.id}.js`);
    writeFileSync(
      entryFile,
      `// Generated by bench/workerd.ts: ${v.entry} inside bench/in-isolate-loop.ts.\nimport worker from '${resolve(ROOT, v.entry)}';\nimport { loopWorker } from '${resolve(ROOT, 'bench', 'in-isolate-loop.ts')}';\n\nexport default loopWorker(worker);\n`,
    );
    const b = await bundleEntry(resolve(OUT, `loop-${v.id}`), { entry: rel(entryFile), fleetJson });
    started.push({ v, w: await startWorkerd(b, v.bindings, { readyPath: '/__ready' }) });
  }
  const costs = new Map<VariantId, number[]>(variants.map((v) => [v.id, []]));
  for (let round = 0; round <= repeats; round++) {
    for (const { v, w } of started.map((_, i) => started[(i + round) % started.length]!)) {
      const t = targetFor(w.url, v.model, apiKey);
      const spec = JSON.stringify({ path: t.path, headers: t.headers, body: t.body, upstream });
      const before = cpuMs(w.child);
      const r = await fetch(`${w.url}/__loop?n=${LOOP_REQUESTS}`, { method: 'POST', body: spec });
      const text = await r.text();
      if (r.status !== 200) throw new Error(`${v.label} in the loop: ${r.status} ${text.slice(0, 300)}`);
      // Round 0 warms the isolate up (JIT, the Worker built on its first request): not counted.
      if (round > 0) costs.get(v.id)?.push(((cpuMs(w.child) - before) * 1000) / LOOP_REQUESTS);
    }
  }
  for (const { w } of started) w.child.proc.kill('SIGTERM');
  return costs;
}

// ---------------------------------------------------------------- single runtime calls

interface CallCost {
  op: string;
  us: number;
}

/**
 * What one call of each operation costs in this workerd: the process's CPU for a request making
 * it CALLS_PER_REQUEST times, less an empty loop's, per call (the least of CALL_REPEATS requests).
 */
async function runtimeCallCosts(simUrl: string): Promise<CallCost[]> {
  const calls = await bundleEntry(resolve(OUT, 'calls'), { entry: 'bench/runtime-calls-worker.ts' });
  const w = await startWorkerd(calls, { UPSTREAM: simUrl }, { readyPath: '/?op=empty&n=0' });
  const cpuOf = async (op: string, n: number) => {
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < CALL_REPEATS; i++) {
      const before = cpuMs(w.child);
      const r = await fetch(`${w.url}/?op=${encodeURIComponent(op)}&n=${n}`);
      const text = await r.text();
      if (r.status !== 200) throw new Error(`runtime calls Worker, ${op}: ${r.status} ${text.slice(0, 200)}`);
      least = Math.min(least, cpuMs(w.child) - before);
    }
    return (least * 1000) / n;
  };
  const empty = await cpuOf('empty', CALLS_PER_REQUEST);
  const costs: CallCost[] = [];
  for (const op of RUNTIME_CALLS.filter((o) => o !== 'empty')) {
    costs.push({ op, us: FETCH_OPS.has(op) ? await cpuOf(op, FETCHES_PER_REQUEST) : (await cpuOf(op, CALLS_PER_REQUEST)) - empty });
  }
  w.child.proc.kill('SIGTERM');
  return costs;
}

// ---------------------------------------------------------------- the run

async function run(s: Settings): Promise<number> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const loadAtStart = loadAverage();
  mkdirSync(OUT, { recursive: true });
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'workerd benchmark' });
  try {
    console.log('starting the simulator (profile zero)…');
    const sim = await startSimulator();
    const fleetFile = resolve(OUT, 'fleet.yaml');
    writeFileSync(fleetFile, fleetYaml(sim.url));
    const fleetJson = JSON.stringify(loadFleetFile(fleetFile).compiled);

    console.log('bundling the floor and the Worker…');
    const gatewayBindings = workerBindings(record);
    const variants: Variant[] = [
      { id: 'floor', label: 'floor: pass-through Worker (bench/bare-worker.ts)', bundle: await bundleEntry(resolve(OUT, 'floor'), { entry: 'bench/bare-worker.ts' }), bindings: { UPSTREAM: sim.url }, model: 'llama-3.1-8b', readyPath: '/health', entry: 'bench/bare-worker.ts' },
      { id: 'switchyard', label: `Switchyard Worker (${codeVersion()})`, bundle: await bundleEntry(resolve(OUT, 'switchyard'), { fleetJson }), bindings: gatewayBindings, model: 'auto', readyPath: '/healthz', entry: 'workers/gateway.ts' },
    ];
    if (s.partsOff) {
      // The same bundle, a part off at a time: what classification and metering each add.
      const sy = variants[1]!;
      variants.push({ ...sy, id: 'model-id', label: 'Switchyard Worker, concrete model id (no classification)', model: 'llama-3.1-8b' });
      variants.push({ ...sy, id: 'unmetered', label: 'Switchyard Worker, metering off (`SWITCHYARD_METERING=false`)', bindings: { ...sy.bindings, SWITCHYARD_METERING: 'false' } });
    }
    if (s.baseline !== undefined) {
      const { entry, commit } = workerBaseline(s.baseline);
      variants.push({ id: 'baseline', label: `Switchyard Worker at ${s.baseline} (commit ${commit})`, bundle: await bundleEntry(resolve(OUT, 'baseline'), { entry, fleetJson }), bindings: gatewayBindings, model: 'auto', readyPath: '/healthz', entry });
    }

    const started: { v: Variant; w: StartedWorkerd; target: HttpTarget }[] = [];
    for (const v of variants) {
      const w = await startWorkerd(v.bundle, v.bindings, { readyPath: v.readyPath });
      const target = targetFor(w.url, v.model, key);
      await probe(v, target);
      started.push({ v, w, target });
    }
    for (const { v, w, target } of started) await measure(w, sim.child, target, s.warmup, `${v.label} warm-up`);

    const rounds = new Map<VariantId, Round[]>(variants.map((v) => [v.id, []]));
    for (let round = 0; round < s.rounds; round++) {
      // Rotated order: no Worker always runs first (or right after the same neighbour).
      const order = started.map((_, i) => started[(i + round) % started.length]!);
      for (const { v, w, target } of order) {
        const m = await measure(w, sim.child, target, s.duration, `${v.label}, round ${round + 1}`);
        rounds.get(v.id)?.push({ rps: m.result.rps, p50: m.result.p50, cpuUs: m.cpuUs, simCpuUs: m.simCpuUs });
        console.log(`round ${round + 1} ${v.id}: ${fmt(m.result.rps, 0)} req/s, ${fmt(m.cpuUs, 0)} µs CPU/req (simulator ${fmt(m.simCpuUs, 0)})`);
      }
    }
    const loadAfterRounds = loadAverage();
    // The profiles run one Worker at a time on its own inspector-enabled workerd.
    for (const { w } of started) w.child.proc.kill('SIGTERM');
    const profiles: Profiled[] = [];
    if (s.profile) {
      for (const v of variants.filter((x) => !PARTS_OFF.includes(x.id))) {
        console.log(`profiling ${v.id} through workerd's inspector…`);
        profiles.push(await profiled(v, key, s, stamp));
      }
    }
    console.log('replaying the request inside each isolate…');
    const upstream = await (await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: targetFor(sim.url, 'llama-3.1-8b', key).body })).text();
    const loop = await loopCosts(variants, key, fleetJson, upstream, Math.max(3, s.rounds));
    console.log('timing single runtime calls…');
    const calls = await runtimeCallCosts(sim.url);
    const markdown = report({ s, startedAt, loadAtStart, loadAfterRounds, loadAtEnd: loadAverage(), variants, rounds, profiles, calls, loop });
    publishSection('workerd', markdown, { quick: s.quick, after: 'overhead-workerd-profile', copy: resolve(OUT, 'workerd.md') });
    return 0;
  } finally {
    await stopAllAndReport();
  }
}

// ---------------------------------------------------------------- the report

interface ReportInput {
  s: Settings;
  startedAt: Date;
  loadAtStart: number;
  loadAfterRounds: number;
  loadAtEnd: number;
  variants: Variant[];
  rounds: Map<VariantId, Round[]>;
  profiles: Profiled[];
  calls: CallCost[];
  loop: Map<VariantId, number[]>;
}

function report(input: ReportInput): string {
  const { s, variants, rounds, profiles } = input;
  const med = (id: VariantId, pick: (r: Round) => number) => median((rounds.get(id) ?? []).map(pick));
  const floorCpu = med('floor', (r) => r.cpuUs);
  const floorRps = med('floor', (r) => r.rps);
  const list = (id: VariantId, pick: (r: Round) => number, d = 0) => (rounds.get(id) ?? []).map((r) => fmt(pick(r), d)).join(' / ');
  const comparison = [
    '| Worker | req/s | CPU µs/req, workerd process | × floor | per round (CPU µs/req) | p50 ms @32 | simulator CPU µs/req |',
    '|---|---:|---:|---:|---|---:|---:|',
    ...variants.map((v) => {
      const cpu = med(v.id, (r) => r.cpuUs);
      return `| ${v.label} | ${fmt(med(v.id, (r) => r.rps), 0)} (${fmt((100 * med(v.id, (r) => r.rps)) / floorRps, 0)} %) | ${fmt(cpu, 0)} | ${fmt(cpu / floorCpu, 2)} | ${list(v.id, (r) => r.cpuUs)} | ${fmt(med(v.id, (r) => r.p50), 2)} | ${fmt(med(v.id, (r) => r.simCpuUs), 0)} |`;
    }),
  ].join('\n');
  const sy = med('switchyard', (r) => r.cpuUs);
  const verdict = `Target (issue 14 item 3): CPU per request inside raw workerd ≤ ${TARGET_CPU_US} µs → Switchyard ${fmt(sy, 0)} µs: **${sy <= TARGET_CPU_US ? 'PASS' : 'FAIL'}**; the floor alone (workerd's HTTP stack, fetch, Request, Response with no gateway code) is ${fmt(floorCpu, 0)} µs, so the gateway's own share is ${fmt(sy - floorCpu, 0)} µs${
    floorCpu > TARGET_CPU_US ? ` and the target is below what the runtime itself costs per request on this machine` : ''
  }.`;
  // On a shared machine the CPU a request costs drifts with what else runs; a ratio of two
  // measurements taken back to back in the same round drifts much less.
  const pairedRatio = (a: VariantId, b: VariantId) => {
    const ra = rounds.get(a) ?? [];
    const rb = rounds.get(b) ?? [];
    return median(ra.map((r, i) => r.cpuUs / (rb[i]?.cpuUs ?? Number.NaN)));
  };
  const baseCpu = med('baseline', (r) => r.cpuUs);
  const baselineLine = variants.some((v) => v.id === 'baseline')
    ? `\nAgainst the baseline in this run: ${fmt(baseCpu, 0)} → ${fmt(sy, 0)} µs CPU/req (medians, ${fmt((100 * (sy - baseCpu)) / baseCpu, 1)} %); per round, this code ÷ the baseline: median **${fmt(pairedRatio('switchyard', 'baseline'), 3)}** (${(rounds.get('switchyard') ?? []).map((r, i) => fmt(r.cpuUs / (rounds.get('baseline')?.[i]?.cpuUs ?? Number.NaN), 2)).join(' / ')}); × floor per round, median: baseline ${fmt(pairedRatio('baseline', 'floor'), 2)}, this code ${fmt(pairedRatio('switchyard', 'floor'), 2)}.\n`
    : '';

  let profileText = '';
  if (profiles.length > 0) {
    const header = `| where the time went (leaf frame of each sample) | ${profiles.map((p) => `${p.variant.id} ms`).join(' | ')} | ${profiles.map((p) => `${p.variant.id} µs/req`).join(' | ')} |`;
    const perReq = (p: Profiled, ms: number) => (ms * 1000) / p.requests;
    const rows = PARTS.filter((part) => profiles.some((p) => p.split.ms[part] > 0)).map(
      (part) => `| ${PART_LABELS[part]} | ${profiles.map((p) => fmt(p.split.ms[part], 0)).join(' | ')} | ${profiles.map((p) => fmt(perReq(p, p.split.ms[part]), 0)).join(' | ')} |`,
    );
    const js = (p: Profiled) => p.split.ms.project + p.split.ms.packages + p.split.ms.bundle;
    const isolate = (p: Profiled) => js(p) + p.split.ms.native + p.split.ms.gc;
    const sum = [
      `| **JavaScript self time** | ${profiles.map((p) => fmt(js(p), 0)).join(' | ')} | ${profiles.map((p) => `**${fmt(perReq(p, js(p)), 0)}**`).join(' | ')} |`,
      `| **isolate busy in a request (JavaScript + native called from it + GC)** | ${profiles.map((p) => fmt(isolate(p), 0)).join(' | ')} | ${profiles.map((p) => `**${fmt(perReq(p, isolate(p)), 0)}**`).join(' | ')} |`,
      `| workerd process CPU under the profiler (/proc) | ${profiles.map((p) => fmt((p.cpuUs * p.requests) / 1000, 0)).join(' | ')} | ${profiles.map((p) => fmt(p.cpuUs, 0)).join(' | ')} |`,
    ];
    const threads = profiles.map((p) => `- ${p.variant.id}: ${p.threads.map((t) => `${t.name} ${fmt(t.cpuUs, 0)} µs`).join(', ')}`).join('\n');
    const tops = profiles
      .map((p) => {
        const top = p.summary.topSelf.filter((r) => r.name !== '(program)').slice(0, 8);
        return `**${p.variant.label}, top self time** (of ${fmt(p.summary.busyMs, 0)} ms busy, ${p.requests} requests)\n\n| function (file:line) | ms | % of busy | µs/req |\n|---|---:|---:|---:|\n${top.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${fmt(r.ms, 0)} | ${fmt(r.pct, 1)} | ${fmt((r.ms * 1000) / p.requests, 1)} |`).join('\n')}\n\nBy area: ${p.summary.byArea
          .slice(0, 8)
          .map((r) => `${r.name} ${fmt(r.pct, 1)} %`)
          .join(', ')}.\n\nRaw profile: \`${rel(p.file)}\` (git-ignored).`;
      })
      .join('\n\n');
    profileText = `
### The isolate's share (CPU profile through the inspector)

Each Worker once more in its own \`workerd serve --inspector-addr\`, profiled through the inspector (CDP \`Profiler\`, sampling every ${SAMPLING_US} µs) for ${s.profileSeconds} s at ${CONNECTIONS} connections after a ${s.warmup} s warm-up: ${profiles.map((p) => `${p.variant.id} ${fmt(p.rps, 0)} req/s`).join(', ')} under the profiler. The profile samples the isolate's thread in wall time (on a loaded machine a sample also holds time the thread was runnable but descheduled); the last row is the process's CPU from /proc in the same window.

${[header, `|---|${profiles.map(() => '---:').join('|')}|${profiles.map(() => '---:').join('|')}|`, ...rows, ...sum].join('\n')}

Threads of the workerd process, CPU µs per request under the profiler (/proc/<pid>/task/*/schedstat):
${threads}

${tops}
`;
  }

  const loopOf = (id: VariantId) => median(input.loop.get(id) ?? []);
  const loopPaired = (a: VariantId, b: VariantId) => {
    const lb = input.loop.get(b) ?? [];
    return median((input.loop.get(a) ?? []).map((x, i) => x - (lb[i] ?? Number.NaN)));
  };
  const loopText = `### The Worker's own code: the request replayed inside the isolate, canned upstream

Each Worker wrapped by bench/in-isolate-loop.ts in its own workerd: one request replays the benchmark's request ${LOOP_REQUESTS.toLocaleString('en')} times through the Worker's \`fetch\` inside the isolate, one after another, with the isolate's \`fetch\` answering every upstream call at once with the simulator's answer (no inbound HTTP, no socket, no concurrency). The workerd process's CPU over the loop ÷ ${LOOP_REQUESTS.toLocaleString('en')}, ${Math.max(3, s.rounds)} interleaved rounds after a warm-up round, medians. The floor's row is the harness itself (a Request, the canned Response, reading it); Switchyard's minus the floor's, per round, is its own code per request.

| Worker | CPU µs/req in the loop | per round | minus the floor (median per round) |
|---|---:|---|---:|
${variants.map((v) => `| ${v.label} | ${fmt(loopOf(v.id), 1)} | ${(input.loop.get(v.id) ?? []).map((x) => fmt(x, 1)).join(' / ')} | ${v.id === 'floor' ? '' : fmt(loopPaired(v.id, 'floor'), 1)} |`).join('\n')}
${variants.some((v) => v.id === 'baseline') ? `\nIn the loop, this code minus the baseline per round: median **${fmt(loopPaired('switchyard', 'baseline'), 1)} µs** (${fmt(loopOf('baseline'), 1)} → ${fmt(loopOf('switchyard'), 1)} µs).\n` : ''}`;

  const callsText = `### What single runtime calls cost in this workerd

bench/runtime-calls-worker.ts makes one operation ${CALLS_PER_REQUEST.toLocaleString('en')} times in one request (a fetch from the simulator ${FETCHES_PER_REQUEST.toLocaleString('en')} times, one after another, its answer read: the whole exchange's CPU in workerd); the workerd process's CPU for that request less an empty loop's, per call (the least of ${CALL_REPEATS} requests: the one the shared machine disturbed least). These are the calls the gateway makes per request; the isolate cannot time them itself (its clock stands still while JavaScript runs).

| operation | µs per call |
|---|---:|
${input.calls.map((c) => `| ${c.op} | ${fmt(c.us, 2)} |`).join('\n')}
`;

  return `## Worker in raw workerd: the floor, the isolate's share, the profile

Measured ${input.startedAt.toISOString()} on ${machine()}; 1-minute load average ${fmt(input.loadAtStart, 2)} at the start, ${fmt(input.loadAfterRounds, 2)} after the rounds, ${fmt(input.loadAtEnd, 2)} at the end (the machine's 2 cores are shared with other work: CPU per request from /proc and ratios within this run are the signal).

Every Worker bundled by bench/lib/worker-bundle.ts (wrangler's esbuild with wrangler.toml's settings: minified, es2024, the \`workerd\` conditions) and served by its own \`workerd serve\` on bench/lib/workerd.ts's generated config (one ES module, text bindings, compatibility ${variants[0]?.bundle.compatibilityDate} [${variants[0]?.bundle.compatibilityFlags.join(', ')}], outbound fetch to loopback), against one \`switchyard sim --profile zero\`. ${s.rounds} interleaved round(s) of ${s.duration} s at ${CONNECTIONS} connections per Worker (order rotated per round; medians), after a ${s.warmup} s warm-up each. Request: \`POST /v1/chat/completions\`, non-streaming, non-cacheable, \`"model": "auto"\` for Switchyard (→ tier \`small\`; a real API key from \`SWITCHYARD_KEYS\`, request log off, metering on), the concrete model id for the floor (it reads nothing). CPU: all threads of the workerd process (/proc schedstat) during the measurement ÷ requests answered.

${comparison}

${verdict}
${baselineLine}
${loopText}${profileText}
${callsText}
Command: \`npm run bench -- workerd${s.baseline !== undefined ? ` --baseline ${s.baseline}` : ''}${s.partsOff ? ' --parts-off' : ''}${s.rounds !== (s.quick ? 1 : 3) ? ` --rounds ${s.rounds}` : ''}${s.duration !== (s.quick ? 2 : 5) ? ` --duration ${s.duration}` : ''}${s.profile ? '' : ' --no-profile'}${s.quick ? ' --quick' : ''}\``;
}

export const benchmark: Benchmark = {
  summary: `the Worker in raw workerd serve next to a pass-through Worker (the floor), CPU per request side by side in one run (target ≤ ${TARGET_CPU_US} µs), optionally against a --baseline git ref; its own code replayed inside the isolate; the isolate's JavaScript vs runtime split from an inspector profile; what single runtime calls cost`,
  usage: USAGE,
  run: (argv) => run(settingsFrom(argv)),
};
