// `npm run bench -- node-loop`: what Switchyard's own code costs per request on Node, with no
// socket and no upstream. Each configuration runs in its own process (bench/node-loop-child.ts):
// the request listener `serve` hands node:http, driven in-process with node:http's own
// IncomingMessage / ServerResponse and a canned upstream answer, one request after another.
//   floor       the Hono floor (bench/hono-floor.ts's route) through the same harness: what
//               @hono/node-server, Hono and the harness cost with no gateway logic
//   switchyard  node/server.ts's `nodeGatewayApp` from this checkout
//   baseline    (with --baseline <git ref>) the same from that commit's src/ and node/, so a
//               change is measured against the code before it in the same run
// Interleaved rounds (order rotated), CPU µs per request from process.cpuUsage over each
// round's loop. --cpu-prof profiles each gateway once more, warm, under V8's sampling profiler.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadFleetFile } from '../cli/fleet-file.ts';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { COMMON_USAGE, numberFlag, parseFlags, UsageError, type Benchmark } from './lib/benchmark.ts';
import { baselineTree } from './lib/baseline-tree.ts';
import { childEnv, NODE, ROOT, start, stop, stopAllAndReport, type Child } from './lib/children.ts';
import { summarizeProfile, type CpuProfile, type ProfileSummary } from './lib/cpuprofile.ts';
import { publishSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, median } from './lib/stats.ts';
import type { LoopSetup } from './node-loop-child.ts';
import { fleetYaml } from './overhead.ts';

const OUT = resolve(ROOT, 'bench', 'out', 'node-loop');
const PROFILE_DIR = resolve(OUT, 'cpu-prof');
/** Sampling interval of the profiles: a request costs some tens of µs here. */
const SAMPLING_US = 50;
const PATH = '/v1/chat/completions';
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const rel = (path: string) => relative(ROOT, path);

type VariantId = 'floor' | 'switchyard' | 'baseline';

interface Variant {
  id: VariantId;
  label: string;
  kind: 'gateway' | 'floor';
  /** The tree whose node/server.ts (and src/) runs. */
  root: string;
}

interface Settings {
  requests: number;
  rounds: number;
  model: string;
  baseline: string | undefined;
  cpuProf: boolean;
  quick: boolean;
}

const USAGE = `${COMMON_USAGE}
  --requests <n>    requests per configuration per round (default 20000; --quick 3000)
  --model <id>      the request's model (default auto: classified; or ${MODEL})
  --baseline <ref>  also measure the gateway from this git ref's src/ and node/ (e.g. main,
                    HEAD~1): a change against the code before it, in the same run
  --cpu-prof        then one more loop of each gateway under V8's CPU profiler (node:inspector,
                    ${SAMPLING_US} µs sampling), summarised

Defaults: --rounds 5; --quick: --rounds 2. (--duration does not apply: rounds are counted in requests.)`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, { requests: { type: 'string' }, model: { type: 'string' }, baseline: { type: 'string' }, 'cpu-prof': { type: 'boolean', default: false } });
  const quick = f.quick === true;
  const baseline = typeof f.baseline === 'string' ? f.baseline : undefined;
  if (baseline !== undefined && !/^[\w./~^@-]+$/.test(baseline)) throw new UsageError(`--baseline takes a git ref (got "${baseline}")`);
  if (f.duration !== undefined) throw new UsageError('--duration does not apply: use --requests');
  return {
    requests: numberFlag(f.requests, quick ? 3_000 : 20_000, 'requests', true),
    rounds: numberFlag(f.rounds, quick ? 2 : 5, 'rounds', true),
    model: typeof f.model === 'string' ? f.model : 'auto',
    baseline,
    cpuProf: f['cpu-prof'] === true,
    quick,
  };
}

interface Started {
  v: Variant;
  child: Child;
  url: string;
}

async function startLoop(v: Variant, setupFile: string): Promise<Started> {
  const child = start(`node loop ${v.id}`, NODE, ['bench/node-loop-child.ts', '--variant', v.kind, '--root', v.root, '--setup', setupFile], childEnv());
  const m = await child.waitForLine(/ready on (http:\/\/[\d.:]+)/, 30_000);
  return { v, child, url: m[1] ?? '' };
}

async function runLoop(s: Started, n: number, profileFile?: string): Promise<{ cpuUs: number; wallUs: number }> {
  const r = await fetch(`${s.url}/run?n=${n}${profileFile === undefined ? '' : `&sampling=${SAMPLING_US}&profile=${encodeURIComponent(profileFile)}`}`, { method: 'POST' });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`${s.v.label}: ${text.slice(0, 600)}`);
  return JSON.parse(text) as { cpuUs: number; wallUs: number };
}

interface Profiled {
  v: Variant;
  requests: number;
  /** CPU µs per request over the profiled loop (the profiler's own cost included). */
  cpuUs: number;
  summary: ProfileSummary;
  file: string;
}

/** One more loop per gateway, after the rounds (in a fresh process, warmed up), under V8's sampling profiler. */
async function profile(x: Started, s: Settings, stamp: number): Promise<Profiled> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const file = resolve(PROFILE_DIR, `node-loop-${x.v.id}-${stamp}.cpuprofile`);
  const requests = s.requests;
  const { cpuUs } = await runLoop(x, requests, file);
  // A baseline's frames read as the same files of this checkout, so the summary places them alike.
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const treeUrl = pathToFileURL(x.v.root).href + '/';
  const rootUrl = pathToFileURL(ROOT).href + '/';
  if (treeUrl !== rootUrl) for (const n of profile.nodes) n.callFrame.url = n.callFrame.url.replace(treeUrl, rootUrl);
  return { v: x.v, requests, cpuUs, summary: summarizeProfile(profile, 1_000), file };
}

async function run(s: Settings): Promise<number> {
  mkdirSync(OUT, { recursive: true });
  const startedAt = new Date();
  const loadAtStart = loadAverage();
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'node-loop benchmark' });
  const fleetFile = resolve(OUT, 'fleet.yaml');
  // The upstream is never reached (the transport is canned); the fleet only needs an endpoint.
  writeFileSync(fleetFile, fleetYaml('http://127.0.0.1:9'));
  const body = JSON.stringify({ model: s.model, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 16 });
  const upstream = JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: 1,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello! How can I help you today?' }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 14, completion_tokens: 9, total_tokens: 23 },
  });
  const setup: LoopSetup = { fleet: loadFleetFile(fleetFile).compiled, record, key, path: PATH, body, upstream };
  const setupFile = resolve(OUT, 'setup.json');
  writeFileSync(setupFile, JSON.stringify(setup), { mode: 0o600 });

  const variants: Variant[] = [
    { id: 'floor', label: 'Hono floor (no gateway logic)', kind: 'floor', root: ROOT },
    { id: 'switchyard', label: `Switchyard, this code (${codeVersion()})`, kind: 'gateway', root: ROOT },
  ];
  if (s.baseline !== undefined) {
    const tree = baselineTree(s.baseline, 'node-loop-baseline', ['src', 'node']);
    variants.push({ id: 'baseline', label: `Switchyard at ${s.baseline} (${tree.commit})`, kind: 'gateway', root: tree.dir });
  }
  // A fresh process per configuration per round: V8's optimization decisions stay with a process
  // for its life, so one process per configuration made whole runs differ (the same code in two
  // processes measured 60.7 against 36.6 µs, every round); across processes the median evens it out.
  const warm = async (v: Variant): Promise<Started> => {
    const x = await startLoop(v, setupFile);
    // Warm-up: the JIT, the key memo, the caches; not counted.
    await runLoop(x, Math.max(5_000, s.requests));
    return x;
  };
  try {
    const rounds = new Map<VariantId, { cpuUs: number; wallUs: number }[]>(variants.map((v) => [v.id, []]));
    for (let round = 0; round < s.rounds; round++) {
      for (const v of variants.map((_, i) => variants[(i + round) % variants.length]!)) {
        const x = await warm(v);
        const r = await runLoop(x, s.requests);
        await stop(x.child);
        rounds.get(v.id)?.push(r);
        console.log(`round ${round + 1} ${v.id}: ${fmt(r.cpuUs, 1)} µs CPU/req, ${fmt(r.wallUs, 1)} µs wall/req`);
      }
    }
    const profiles: Profiled[] = [];
    if (s.cpuProf) {
      const stamp = Date.now();
      for (const v of variants.filter((y) => y.kind === 'gateway')) {
        console.log(`profiling ${v.id}…`);
        const x = await warm(v);
        profiles.push(await profile(x, s, stamp));
        await stop(x.child);
      }
    }
    publishSection('node-loop', report({ s, startedAt, loadAtStart, loadAtEnd: loadAverage(), variants, rounds, profiles }), { quick: s.quick, after: 'overhead-profile', copy: resolve(OUT, 'node-loop.md') });
    return 0;
  } finally {
    await stopAllAndReport();
  }
}

/** A profile's share of busy time by owner, summed per file (project files; packages and Node as their areas), 0..1. */
function perFile(p: Profiled): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of p.summary.byProjectOwner) {
    const file = / ((?:src|node|cli|workers)\/\S+):\d+$/.exec(r.name)?.[1] ?? r.name;
    out.set(file, (out.get(file) ?? 0) + r.pct / 100);
  }
  return out;
}

/**
 * The baseline's and this code's profiles side by side, per file: each file's share of its
 * profile's busy time times the configuration's median CPU per request in the rounds (the two
 * profiles run one after the other, so their absolute figures drift with the machine's load;
 * shares do much less).
 */
function byFile(profiles: readonly Profiled[], cpuOf: (id: VariantId) => number): string {
  const mine = profiles.find((p) => p.v.id === 'switchyard');
  const base = profiles.find((p) => p.v.id === 'baseline');
  if (mine === undefined || base === undefined) return '';
  const a = perFile(base);
  const b = perFile(mine);
  const ca = cpuOf('baseline');
  const cb = cpuOf('switchyard');
  const us = (shares: Map<string, number>, f: string, cpu: number) => (shares.get(f) ?? 0) * cpu;
  const files = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => Math.max(us(b, y, cb), us(a, y, ca)) - Math.max(us(b, x, cb), us(a, x, ca))).slice(0, 30);
  return `**Per file, the baseline next to this code**: each profile's samples charged to the nearest project function and summed per file; a file's share of its profile's busy time × the configuration's median CPU per request in the rounds above (${fmt(ca, 1)} and ${fmt(cb, 1)} µs), so estimated µs per request

| file (or area) | baseline: share, µs/req | this code: share, µs/req | change µs/req |
|---|---:|---:|---:|
${files.map((f) => `| \`${f}\` | ${fmt(100 * (a.get(f) ?? 0), 1)} %, ${fmt(us(a, f, ca), 1)} | ${fmt(100 * (b.get(f) ?? 0), 1)} %, ${fmt(us(b, f, cb), 1)} | ${fmt(us(b, f, cb) - us(a, f, ca), 1)} |`).join('\n')}`;
}

interface ReportInput {
  s: Settings;
  startedAt: Date;
  loadAtStart: number;
  loadAtEnd: number;
  variants: Variant[];
  rounds: Map<VariantId, { cpuUs: number; wallUs: number }[]>;
  profiles: Profiled[];
}

function report(input: ReportInput): string {
  const { s, variants, rounds, profiles } = input;
  const cpu = (id: VariantId) => (rounds.get(id) ?? []).map((r) => r.cpuUs);
  const wall = (id: VariantId) => (rounds.get(id) ?? []).map((r) => r.wallUs);
  // Differences and ratios within a round drift less than the figures on a shared machine.
  const paired = (a: VariantId, b: VariantId, op: (x: number, y: number) => number) => {
    const rb = cpu(b);
    return median(cpu(a).map((x, i) => op(x, rb[i] ?? Number.NaN)));
  };
  const table = [
    '| configuration | CPU µs/req | per round | wall µs/req | minus the floor (median per round) |',
    '|---|---:|---|---:|---:|',
    ...variants.map(
      (v) =>
        `| ${v.label} | **${fmt(median(cpu(v.id)), 1)}** | ${cpu(v.id)
          .map((x) => fmt(x, 1))
          .join(' / ')} | ${fmt(median(wall(v.id)), 1)} | ${v.id === 'floor' ? '' : fmt(paired(v.id, 'floor', (x, y) => x - y), 1)} |`,
    ),
  ].join('\n');
  const baseline = variants.some((v) => v.id === 'baseline')
    ? `\nAgainst the baseline in this run: ${fmt(median(cpu('baseline')), 1)} → ${fmt(median(cpu('switchyard')), 1)} µs CPU/req; per round, this code ÷ the baseline: median **${fmt(paired('switchyard', 'baseline', (x, y) => x / y), 3)}**, this code minus the baseline: median **${fmt(paired('switchyard', 'baseline', (x, y) => x - y), 1)} µs**; the gateway's own share (minus the floor) ${fmt(paired('baseline', 'floor', (x, y) => x - y), 1)} → ${fmt(paired('switchyard', 'floor', (x, y) => x - y), 1)} µs.\n`
    : '';
  const profileText = [byFile(profiles, (id) => median(cpu(id))), ...profiles
    .map((p) => {
      const perReq = (ms: number) => fmt((ms * 1000) / p.requests, 1);
      const rows = (list: ProfileSummary['topSelf']) => list.map((r) => `| \`${r.name.replace(/\|/g, '\\|')}\` | ${perReq(r.ms)} | ${fmt(r.pct, 1)} |`).join('\n');
      return `**${p.v.label}** after the rounds, one more loop under V8's sampling profiler (node:inspector, every ${SAMPLING_US} µs; ${p.requests.toLocaleString('en')} requests, ${fmt(p.cpuUs, 1)} µs CPU/req with the profiler on, ${fmt(p.summary.busyMs, 0)} ms busy: ${perReq(p.summary.busyMs)} µs/req; raw profile \`${rel(p.file)}\`, git-ignored)

| by owner: the nearest project function on the stack (its own code and the package / Node / V8 code it calls), else the area | µs/req | % of busy |
|---|---:|---:|
${rows(p.summary.byProjectOwner.slice(0, 25))}

| top self time | µs/req | % of busy |
|---|---:|---:|
${rows(p.summary.topSelf.filter((r) => r.name !== '(program)').slice(0, 12))}

By area: ${p.summary.byArea
        .slice(0, 10)
        .map((r) => `${r.name} ${fmt(r.pct, 1)} %`)
        .join(', ')}.`;
    })]
    .filter((text) => text !== '')
    .join('\n\n');
  return `## Node: the gateway's own code per request, in-process (no socket, canned upstream)

Measured ${input.startedAt.toISOString()} on ${machine()}; 1-minute load average ${fmt(input.loadAtStart, 2)} at the start, ${fmt(input.loadAtEnd, 2)} at the end (the machine's 2 cores are shared: compare within this run).

Each configuration in a fresh Node process for each round (bench/node-loop-child.ts; V8's optimization decisions stay with a process, so one process per configuration let whole runs differ): the request listener \`serve\` hands node:http (node/server.ts's \`nodeGatewayApp\`: governance over the memory store with one seeded key, metering on with its 1 s flush, the prober and the request log off) driven in-process: per request a node:http \`IncomingMessage\` (raw headers as the parser leaves them, the body pushed whole and complete: a request that arrived in one packet, as autocannon and Python's http.client send one; Node's undici writes the body apart from the headers, and then the gateway reads it as a stream, which this loop does not measure) and a \`ServerResponse\` with no socket, the upstream call answered at once with a canned chat completion, and a macrotask after each answer (so work deferred to after the answer runs in the loop too). No socket, no parser, no undici: what is left is @hono/node-server, Hono and the gateway's own code. The floor is bench/hono-floor.ts's route (read the body, the canned answer back) through the same harness. Request: \`POST ${PATH}\`, \`"model": "${s.model}"\`, non-streaming, non-cacheable. ${s.rounds} interleaved rounds of ${s.requests.toLocaleString('en')} requests per configuration (order rotated), each after a warm-up in its process; CPU from process.cpuUsage over each round's loop ÷ requests; medians.

${table}
${baseline}${profileText ? `\n### Where the time goes\n\n${profileText}\n` : ''}
Command: \`npm run bench -- node-loop${s.baseline !== undefined ? ` --baseline ${s.baseline}` : ''}${s.cpuProf ? ' --cpu-prof' : ''}${s.model !== 'auto' ? ` --model ${s.model}` : ''}${s.rounds !== (s.quick ? 2 : 5) ? ` --rounds ${s.rounds}` : ''}${s.requests !== (s.quick ? 3_000 : 20_000) ? ` --requests ${s.requests}` : ''}${s.quick ? ' --quick' : ''}\``;
}

export const benchmark: Benchmark = {
  summary: "the Node gateway's own code per request, in-process (serve's request listener, no socket, canned upstream) next to the Hono floor through the same harness: CPU µs per request, --baseline <ref> for before/after in one run, --cpu-prof for where it goes",
  usage: USAGE,
  run: (argv) => run(settingsFrom(argv)),
};
