// `npm run bench -- overhead`: what the gateway costs on top of the upstream, side by side in
// one run against one simulator (`switchyard sim --profile zero`, so the upstream itself takes
// next to no time):
//   direct     the load generator → the simulator
//   bare       bench/bare-proxy.ts: node:http + undici Pool, no logic (the ceiling for any Node gateway)
//   floor      bench/hono-floor.ts: Hono on @hono/node-server + undici Pool, no logic (what the
//              framework Switchyard is built on costs before any of its own work)
//   node       `switchyard serve` (auth, validation, classification, routing on; a real API key)
//   unmetered  the same with usage metering and metrics off
//   portkey    Portkey's AI gateway 1.15.2 on Node (the closest TypeScript peer), installed on
//              demand into the ignored bench/out/portkey, forwarding to the same simulator
//   workerd    the Worker in raw `workerd serve` (the wrangler bundle, a generated config): no dev proxy
//   passthrough  bench/bare-worker.ts in raw `workerd serve`: fetch(upstream, request), no logic (the
//              floor for any Worker that proxies; measured with `workerd`)
//   wrangler   the Worker under `wrangler dev --local` (workerd behind wrangler's proxy), same fleet, same key
// Each configuration is measured in interleaved rounds (the machine's cores are shared by all of
// them and by the load generator), and the median per configuration is reported.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { relative, resolve } from 'node:path';
import { ApiKeys } from '../src/auth/api-keys.ts';
import { ensurePortkey, portkeyHeaders, PORTKEY_VERSION, startPortkey } from './lib/portkey.ts';
import { bundleEntry, bundleWorker, prepareBenchWorker, startWorkerd, type WorkerBundle } from './lib/workerd.ts';
import { profileDuring, sourceMapped } from './lib/inspector-profile.ts';
import { MemoryStore } from '../src/store/memory-store.ts';
import { COMMON_USAGE, numberFlag, parseFlags, UsageError, type Benchmark } from './lib/benchmark.ts';
import { BIN, childEnv, freePort, NODE, ROOT, start, stop, stopAll, waitForHttp, type Child } from './lib/children.ts';
import { groupCpuMs } from './lib/cpu-usage.ts';
import { profileMarkdown, summarizeCpuProfile, summarizeProfile } from './lib/cpuprofile.ts';
import { assertClean, load, timeToFirstByte, type HttpTarget, type LoadResult } from './lib/measure.ts';
import { writeSection } from './lib/results-file.ts';
import { fmt, median, percentile, signed } from './lib/stats.ts';

const MODEL = 'llama-3.1-8b';
const PATH = '/v1/chat/completions';
const CONNECTIONS = 32;
const POOL_CONNECTIONS = 128;
const OUT = resolve(ROOT, 'bench', 'out');
const FLEET_FILE = resolve(OUT, 'overhead-fleet.yaml');
const ENV_FILE = resolve(OUT, 'overhead-wrangler.env');
const NO_KEYS_FILE = resolve(OUT, 'overhead-no-keys.json');
const PROFILE_DIR = resolve(OUT, 'cpu-prof');
const WORKER_FLEET_JSON = resolve(OUT, 'overhead-fleet.generated.json');
const WORKER_ENTRY = resolve(OUT, 'overhead-worker.js');
const WORKER_CONFIG = resolve(OUT, 'wrangler.overhead.toml');
const WORKERD_DIR = resolve(OUT, 'workerd');
const rel = (path: string) => relative(ROOT, path);

// Issue 14, must-show 1 (Node gateway vs the bare proxy) and 2, 3 (Portkey, raw workerd).
const TARGETS = { throughputPct: 80, cpuTimesBare: 1.3, addedP50Ms: 0.25, addedTtfbMs: 0.3, meteringCpuPct: 10, timesPortkey: 10, workerdCpuUs: 150 } as const;

const CONFIG_IDS = ['direct', 'bare', 'floor', 'node', 'unmetered', 'portkey', 'workerd', 'passthrough', 'wrangler'] as const;
type ConfigId = (typeof CONFIG_IDS)[number];
/** Always measured: every other row is read against them. */
const BASELINES: readonly ConfigId[] = ['direct', 'bare'];
const LABELS: Record<ConfigId, string> = {
  direct: 'direct (→ simulator)',
  bare: 'bare proxy (node:http + undici)',
  floor: 'Hono floor (Hono + @hono/node-server + undici, no logic)',
  node: 'Switchyard on Node (`serve`)',
  unmetered: 'Switchyard on Node, metering off',
  portkey: `Portkey ${PORTKEY_VERSION} on Node`,
  workerd: 'Switchyard Worker in raw `workerd serve`',
  passthrough: 'pass-through Worker in raw `workerd serve` (no logic)',
  wrangler: 'Switchyard under `wrangler dev`',
};

interface Config {
  id: ConfigId;
  target: HttpTarget;
  child: Child;
  /** The `model` the requests carry. */
  model: string;
  /** x-switchyard-tier of the probe response (gateways only). */
  tier?: string;
}

interface RoundResult {
  round: number;
  high: LoadResult;
  /** CPU (user + system) of the configuration's own processes per request during `high`, µs. */
  cpuUsPerRequest: number;
  single: LoadResult;
  ttfbP50: number;
  ttfbP99: number;
}

interface Settings {
  duration: number;
  rounds: number;
  samples: number;
  warmup: number;
  quick: boolean;
  /** The configurations to run (the baselines always). */
  only: ReadonlySet<ConfigId>;
  cpuProf: boolean;
  profileWorkerd: boolean;
}

const USAGE = `${COMMON_USAGE}
  --samples <n>    streaming requests per time-to-first-byte measurement
  --only <ids>     run only these configurations, comma-separated, out of
                   ${CONFIG_IDS.join(', ')} (${BASELINES.join(' and ')} always run: the
                   other rows are read against them), e.g. --only node,portkey,workerd
  --skip-wrangler  leave out the wrangler dev configuration
  --cpu-prof       instead of the comparison: run the Node gateway under node --cpu-prof at
                   ${CONNECTIONS} connections for --duration s (default 10) plus streamed requests, and
                   summarize where its CPU time goes (top self-time functions, by package/file)
  --profile-workerd
                   instead of the comparison: the Worker in raw workerd serve, profiled through
                   workerd's inspector (CDP Profiler) for --duration s (default 10) at ${CONNECTIONS}
                   connections; frames mapped through the bundle's source map to their files

Defaults: --duration 5 --rounds 3 --samples 200 (about 5 minutes in all);
--quick: --duration 2 --rounds 1 --samples 50 (about 1 minute).
Portkey is installed on first use into bench/out/portkey (npm, about 20 s).`;

function settingsFrom(argv: readonly string[]): Settings {
  const f = parseFlags(argv, {
    samples: { type: 'string' },
    only: { type: 'string' },
    'skip-wrangler': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'profile-workerd': { type: 'boolean', default: false },
  });
  const quick = f.quick === true;
  const cpuProf = f['cpu-prof'] === true;
  const profileWorkerd = f['profile-workerd'] === true;
  if (cpuProf && profileWorkerd) throw new UsageError('--cpu-prof and --profile-workerd are separate runs: pick one');
  const only = new Set<ConfigId>(typeof f.only === 'string' ? [...BASELINES, ...configIds(f.only)] : CONFIG_IDS);
  if (f['skip-wrangler'] === true) only.delete('wrangler');
  // The Worker's row is read against what workerd costs with no logic at all.
  if (only.has('workerd')) only.add('passthrough');
  return {
    duration: numberFlag(f.duration, cpuProf || profileWorkerd ? (quick ? 3 : 10) : quick ? 2 : 5, 'duration'),
    rounds: numberFlag(f.rounds, quick ? 1 : 3, 'rounds', true),
    samples: numberFlag(f.samples, quick ? 50 : 200, 'samples', true),
    warmup: quick ? 1 : 3,
    quick,
    only,
    cpuProf,
    profileWorkerd,
  };
}

function configIds(list: string): ConfigId[] {
  const ids = list.split(',').map((id) => id.trim()).filter((id) => id !== '');
  const unknown = ids.filter((id) => !(CONFIG_IDS as readonly string[]).includes(id));
  if (ids.length === 0 || unknown.length > 0) {
    throw new UsageError(`--only takes a comma-separated list out of ${CONFIG_IDS.join(', ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  }
  return ids as ConfigId[];
}

// ---------------------------------------------------------------- setup

export function fleetYaml(simUrl: string): string {
  return `# Generated by bench/overhead.ts for one run (git-ignored): one region whose only endpoint is
# the benchmark's simulator; tiers small/medium/large, the simulator's model in small.
apiVersion: switchyard.dev/v1alpha1
kind: Region
metadata: { name: bench }
spec:
  location: { latitude: 38.9, longitude: -77.4, continent: NA, country: US }
  residency: us
  endpoints:
    - { model: ${MODEL}, url: "${simUrl}" }
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: small }
spec: { rank: 1, description: "edge / small", defaultModel: ${MODEL} }
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: medium }
spec: { rank: 2, description: "regional / medium" }
---
apiVersion: switchyard.dev/v1alpha1
kind: Tier
metadata: { name: large }
spec: { rank: 3, description: "central / large" }
---
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: llama-3-1-8b
  labels: { switchyard.dev/tier: small }
  annotations:
    switchyard.dev/model: ${MODEL}
spec:
  predictor:
    model:
      modelFormat: { name: vLLM }
      storageUri: hf://meta-llama/Llama-3.1-8B-Instruct
`;
}

const requestBody = (model: string, stream: boolean) =>
  JSON.stringify({
    model,
    messages: [{ role: 'user', content: 'Say hello in one short sentence.' }],
    max_tokens: 16,
    ...(stream ? { stream: true } : {}),
  });

export function targetFor(origin: string, model: string, apiKey: string, extraHeaders: Record<string, string> = {}): HttpTarget {
  return {
    origin,
    path: PATH,
    // Every configuration gets the same headers (Portkey also its routing headers); the
    // simulator (no --api-key) ignores the key.
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}`, ...extraHeaders },
    body: requestBody(model, false),
    streamBody: requestBody(model, true),
  };
}

async function post(target: HttpTarget): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(target.origin + target.path, { method: 'POST', headers: target.headers, body: target.body, signal: AbortSignal.timeout(15_000) });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

function assertCompletion(label: string, r: { status: number; text: string }): void {
  let ok = false;
  try {
    const json = JSON.parse(r.text) as { choices?: unknown[] };
    ok = r.status === 200 && Array.isArray(json.choices) && json.choices.length > 0;
  } catch {
    ok = false;
  }
  if (!ok) throw new Error(`${label}: the probe request answered ${r.status}: ${r.text.slice(0, 400)}`);
}

/**
 * Gateways get `model: "auto"` (classified, routed to the small tier) when they support it,
 * else the concrete model id, with a note saying so.
 */
async function gatewayModel(id: ConfigId, origin: string, apiKey: string, notes: string[]): Promise<{ model: string; tier?: string }> {
  const auto = await post(targetFor(origin, 'auto', apiKey));
  if (auto.status === 200) {
    assertCompletion(LABELS[id], auto);
    const tier = auto.headers.get('x-switchyard-tier') ?? undefined;
    if (tier === undefined) notes.push(`${LABELS[id]}: \`model: "auto"\` answered 200 but without an \`x-switchyard-tier\` header.`);
    else if (tier !== 'small') notes.push(`${LABELS[id]}: \`model: "auto"\` was classified to tier \`${tier}\`, not \`small\`.`);
    return tier === undefined ? { model: 'auto' } : { model: 'auto', tier };
  }
  if (auto.status !== 404) throw new Error(`${LABELS[id]}: a request with model "auto" answered ${auto.status}: ${auto.text.slice(0, 400)}`);
  const message = (() => {
    try {
      return (JSON.parse(auto.text) as { error?: { message?: string } }).error?.message ?? auto.text;
    } catch {
      return auto.text;
    }
  })();
  notes.push(
    `${LABELS[id]}: \`model: "auto"\` answered 404 (“${message.slice(0, 120)}”), so this run sends the concrete model id \`${MODEL}\` ` +
      '(no classification on the request path).',
  );
  const concrete = await post(targetFor(origin, MODEL, apiKey));
  assertCompletion(LABELS[id], concrete);
  const tier = concrete.headers.get('x-switchyard-tier') ?? undefined;
  return tier === undefined ? { model: MODEL } : { model: MODEL, tier };
}

async function checkHealth(label: string, origin: string): Promise<void> {
  const r = await fetch(`${origin}/healthz`);
  const health = (await r.json()) as { regions?: number; endpoints?: number };
  // Only what /healthz states is checked: a gateway on another fleet must not pass for this one.
  if ((health.regions !== undefined && health.regions !== 1) || (health.endpoints !== undefined && health.endpoints !== 1)) {
    throw new Error(`${label} is not serving the benchmark fleet (healthz: ${JSON.stringify(health)})`);
  }
}

export async function startSimulator(): Promise<{ child: Child; url: string }> {
  const child = start('simulator', NODE, ['cli/main.ts', 'sim', '--port', '0', '--profile', 'zero', '--model', MODEL, '--path-style', 'v1']);
  const m = await child.waitForLine(/ready on (http:\/\/[\d.]+:\d+)/, 30_000);
  return { child, url: m[1] ?? '' };
}

async function startNodeGateway(record: unknown, cpuProf: boolean, metering = true): Promise<{ child: Child; url: string }> {
  const args = [
    ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', rel(PROFILE_DIR)] : []),
    'cli/main.ts',
    'serve',
    '--fleet',
    rel(FLEET_FILE),
    '--port',
    '0',
    '--no-log',
    '--keys-file',
    rel(NO_KEYS_FILE),
  ];
  const child = start(metering ? 'node gateway' : 'node gateway (metering off)', NODE, args, childEnv({ SWITCHYARD_KEYS: JSON.stringify([record]), ...(metering ? {} : { SWITCHYARD_METERING: 'false' }) }));
  const m = await child.waitForLine(/gateway on (http:\/\/[\d.]+:\d+)/, 30_000);
  return { child, url: m[1] ?? '' };
}

/** The Worker over the benchmark's fleet, isolated from workers/fleet.generated.json (see prepareBenchWorker). */
const prepareWorker = (): { configNote: string } =>
  prepareBenchWorker({ fleetFile: FLEET_FILE, fleetJson: WORKER_FLEET_JSON, entry: WORKER_ENTRY, config: WORKER_CONFIG, generatedBy: 'bench/overhead.ts' });

/** The Worker's env in raw workerd: what wrangler dev gets from overhead-wrangler.env. */
export const workerBindings = (record: unknown): Record<string, string> => ({ SWITCHYARD_KEYS: JSON.stringify([record]), SWITCHYARD_LOG_REQUESTS: 'false' });

// ---------------------------------------------------------------- the comparison

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * assertClean, with what helps to see why: a configuration whose process died says so, and a
 * failed measurement shows one more response of the same request and the process's last output.
 */
async function checked(c: Config, what: string, result: LoadResult): Promise<LoadResult> {
  const { proc } = c.child;
  if (proc.exitCode !== null || proc.signalCode !== null) {
    throw new Error(`${c.child.label} exited (${proc.signalCode ?? `code ${proc.exitCode}`}) during the run\n--- last output ---\n${c.child.tail()}`);
  }
  try {
    assertClean(`${LABELS[c.id]} ${what}`, result);
  } catch (error) {
    const again = await post(c.target).then(
      (r) => `one more request now answers ${r.status}: ${r.text.slice(0, 300)}`,
      (e: unknown) => `one more request now fails: ${String(e)}`,
    );
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${again}\n--- last output of ${c.child.label} ---\n${c.child.tail()}`);
  }
  return result;
}

async function runComparison(s: Settings): Promise<number> {
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  const code = codeVersion();
  const notes: string[] = [];
  const commands: string[] = [];
  mkdirSync(OUT, { recursive: true });
  rmSync(NO_KEYS_FILE, { force: true });

  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'overhead benchmark' });

  try {
    console.log('starting the simulator (profile zero)…');
    const sim = await startSimulator();
    commands.push(sim.child.command);
    writeFileSync(FLEET_FILE, fleetYaml(sim.url));

    const want = (id: ConfigId) => s.only.has(id);
    // Installed (or found) before anything is timed: an npm install must not overlap a start-up.
    if (want('portkey')) notes.push(`Portkey: ${ensurePortkey()}.`);
    let bundle: WorkerBundle | undefined;
    if (want('wrangler') || want('workerd')) {
      const { configNote } = prepareWorker();
      if (configNote) notes.push(configNote);
      if (want('workerd')) {
        console.log('bundling the Worker (wrangler deploy --dry-run)…');
        bundle = bundleWorker(WORKER_CONFIG, WORKERD_DIR);
      }
    }
    console.log(`starting ${[...s.only].filter((id) => id !== 'direct').join(', ')}…`);
    const bareStart = (async () => {
      const child = start('bare proxy', NODE, ['bench/bare-proxy.ts', '--upstream', sim.url, '--port', '0', '--connections', String(POOL_CONNECTIONS)]);
      const m = await child.waitForLine(/bare proxy on (http:\/\/[\d.]+:\d+)/, 30_000);
      return { child, url: m[1] ?? '' };
    })();
    const floorStart = want('floor')
      ? (async () => {
          const child = start('hono floor', NODE, ['bench/hono-floor.ts', '--upstream', sim.url, '--port', '0', '--connections', String(POOL_CONNECTIONS)]);
          const m = await child.waitForLine(/hono floor on (http:\/\/[\d.]+:\d+)/, 30_000);
          return { child, url: m[1] ?? '' };
        })()
      : undefined;
    const nodeStart = want('node') ? startNodeGateway(record, false) : undefined;
    // The same gateway with usage metering and metrics off: the baseline for what metering costs.
    const unmeteredStart = want('unmetered') ? startNodeGateway(record, false, false) : undefined;
    const portkeyStart = want('portkey') ? startPortkey() : undefined;
    const workerdStart = bundle ? startWorkerd(bundle, workerBindings(record)) : undefined;
    const passthroughStart = want('passthrough')
      ? bundleEntry(resolve(OUT, 'workerd-passthrough'), { entry: 'bench/bare-worker.ts' }).then((b) => startWorkerd(b, { UPSTREAM: sim.url }, { readyPath: '/health' }))
      : undefined;
    const wranglerStart = want('wrangler')
      ? (async () => {
          const port = await freePort();
          const inspectorPort = await freePort();
          writeFileSync(ENV_FILE, `SWITCHYARD_KEYS='${JSON.stringify([record])}'\nSWITCHYARD_LOG_REQUESTS='false'\nWRANGLER_SEND_METRICS='false'\n`, { mode: 0o600 });
          const args = [
            'dev',
            '--config',
            rel(WORKER_CONFIG),
            '--local',
            '--ip',
            '127.0.0.1',
            '--port',
            String(port),
            '--inspector-port',
            String(inspectorPort),
            '--env-file',
            ENV_FILE, // absolute: with --config, wrangler resolves relative paths from the config's folder
            '--persist-to',
            rel(resolve(OUT, 'wrangler-state')),
            '--show-interactive-dev-session=false',
            '--log-level',
            'warn',
          ];
          const child = start('wrangler dev', BIN('wrangler'), args, childEnv({ WRANGLER_SEND_METRICS: 'false' }));
          const url = `http://127.0.0.1:${port}`;
          await waitForHttp(`${url}/healthz`, child, 120_000);
          return { child, url };
        })()
      : undefined;
    const [bare, floor, node, unmetered, portkey, workerd, passthrough, wrangler] = await Promise.all([bareStart, floorStart, nodeStart, unmeteredStart, portkeyStart, workerdStart, passthroughStart, wranglerStart]);
    commands.push(bare.child.command);
    if (floor) commands.push(floor.child.command);
    if (node) commands.push(`SWITCHYARD_KEYS='[<one key record>]' ${node.child.command}`);
    if (portkey) {
      commands.push(
        `npm install --prefix bench/out/portkey --ignore-scripts   # bench/out/portkey/package.json: @portkey-ai/gateway ${PORTKEY_VERSION}, overrides @hono/node-server (see bench/lib/portkey.ts)`,
        `${portkey.child.command}   # requests carry x-portkey-provider: openai, x-portkey-custom-host: <simulator>/v1`,
      );
    }
    if (wrangler || workerd) {
      commands.push(
        `node_modules/.bin/node cli/main.ts fleet compile --fleet ${rel(FLEET_FILE)} --out ${rel(WORKER_FLEET_JSON)}`,
        `# ${rel(WORKER_ENTRY)}: export default createWorker(<that JSON>) (createWorker from workers/gateway.ts); ` +
          `${rel(WORKER_CONFIG)}: wrangler.toml with main → that entry and no [build]`,
      );
    }
    if (passthrough) commands.push(`${passthrough.child.command}   # ${rel(resolve(OUT, 'workerd-passthrough'))}: bench/bare-worker.ts bundled with wrangler.toml's build settings (bench/lib/worker-bundle.ts), UPSTREAM=<simulator> as a text binding`);
    if (bundle && workerd) {
      commands.push(
        `${bundle.command}   # bench/out/wrangler.overhead.toml: main → the bench entry, no [build]`,
        `${workerd.child.command}   # bench/out/workerd/config.capnp: the bundle as one ES module, SWITCHYARD_KEYS and SWITCHYARD_LOG_REQUESTS=false as text bindings, compatibility ${bundle.compatibilityDate} [${bundle.compatibilityFlags.join(', ')}], globalOutbound a network service allowing "local"`,
      );
    }
    if (wrangler) commands.push(`WRANGLER_SEND_METRICS=false ${wrangler.child.command}   # ${rel(ENV_FILE)}: SWITCHYARD_KEYS (the same record), SWITCHYARD_LOG_REQUESTS=false`);
    if (node) await checkHealth('the Node gateway', node.url);
    if (workerd) await checkHealth('workerd serve', workerd.url);
    if (wrangler) await checkHealth('wrangler dev', wrangler.url);

    // Probes: every configuration answers a real completion before anything is measured.
    const configs: Config[] = [];
    for (const [id, started] of [
      ['direct', sim],
      ['bare', bare],
      ['floor', floor],
      ['passthrough', passthrough],
    ] as const) {
      if (!started) continue;
      const target = targetFor(started.url, MODEL, key);
      assertCompletion(LABELS[id], await post(target));
      configs.push({ id, target, child: started.child, model: MODEL });
    }
    if (portkey) {
      // Portkey has no model classification: the concrete model id, forwarded as it came.
      const target = targetFor(portkey.url, MODEL, key, portkeyHeaders(`${sim.url}/v1`));
      assertCompletion(LABELS.portkey, await post(target));
      configs.push({ id: 'portkey', target, child: portkey.child, model: MODEL });
    }
    const gateways = [['node', node], ['unmetered', unmetered], ['workerd', workerd], ['wrangler', wrangler]] as const;
    for (const [id, started] of gateways) {
      if (!started) continue;
      const { model, tier } = await gatewayModel(id, started.url, key, notes);
      configs.push({ id, target: targetFor(started.url, model, key), child: started.child, model, ...(tier ? { tier } : {}) });
    }
    for (const note of notes) console.log(`note: ${note}`);

    console.log(`warming up (${s.warmup} s at ${CONNECTIONS} connections and 20 streamed requests per configuration)…`);
    for (const c of configs) {
      await checked(c, '(warm-up)', await load(c.target, CONNECTIONS, s.warmup));
      await timeToFirstByte(c.target, 20);
    }

    const results = new Map<ConfigId, RoundResult[]>(configs.map((c) => [c.id, []]));
    for (let round = 0; round < s.rounds; round++) {
      // Rotate the order each round so no configuration always runs first (or right after another).
      const order = configs.map((_, i) => configs[(i + round) % configs.length] as Config);
      console.log(`round ${round + 1}/${s.rounds}: ${order.map((c) => c.id).join(' → ')}`);
      for (const c of order) {
        const pgid = c.child.proc.pid ?? -1;
        const cpuBefore = groupCpuMs(pgid);
        const high = await checked(c, `at ${CONNECTIONS} connections`, await load(c.target, CONNECTIONS, s.duration));
        const cpuAfter = groupCpuMs(pgid);
        const cpuUsPerRequest = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : ((cpuAfter - cpuBefore) * 1000) / high.requests;
        await pause(200);
        const single = await checked(c, 'at 1 connection', await load(c.target, 1, s.duration));
        await pause(200);
        const ttfb = await timeToFirstByte(c.target, s.samples);
        await pause(200);
        const r: RoundResult = { round, high, cpuUsPerRequest, single, ttfbP50: percentile(ttfb, 50), ttfbP99: percentile(ttfb, 99) };
        results.get(c.id)?.push(r);
        console.log(
          `  ${c.id.padEnd(8)} ${fmt(high.rps, 0).padStart(6)} req/s @${CONNECTIONS} (p50 ${fmt(high.p50, 2)} ms, p99 ${fmt(high.p99, 2)} ms, ${fmt(cpuUsPerRequest, 0)} µs CPU/req) · ` +
            `p50 @1 ${fmt(single.p50, 3)} ms · TTFB p50 ${fmt(r.ttfbP50, 3)} ms`,
        );
      }
    }

    const report = buildReport({ s, configs, results, notes, commands, startedAt, finishedAt: new Date(), load: [loadAtStart, os.loadavg()[0] ?? Number.NaN], code });
    console.log(`\n${report.markdown}\n`);
    writeFileSync(resolve(OUT, 'overhead-last.json'), JSON.stringify(
        { settings: s, startedAt, notes, configs: configs.map((c) => ({ id: c.id, origin: c.target.origin, model: c.model, tier: c.tier })), results: Object.fromEntries(results) },
        null,
        2,
      ));
    if (s.quick) console.log('(quick run: bench/RESULTS.md not updated)');
    else {
      writeSection('overhead', report.markdown);
      console.log('wrote the overhead section of bench/RESULTS.md');
    }
    if (!report.allPass) console.log('A target was missed: `npm run bench -- overhead --cpu-prof` (Node) and `--profile-workerd` (raw workerd) show where the time goes.');
    return 0;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

// ---------------------------------------------------------------- the report

interface ReportInput {
  s: Settings;
  configs: Config[];
  results: Map<ConfigId, RoundResult[]>;
  notes: string[];
  commands: string[];
  startedAt: Date;
  finishedAt: Date;
  /** 1-minute load averages at the start and the end of the run. */
  load: [number, number];
  code: string;
}

function machine(): string {
  const cpus = os.cpus();
  const wrangler = (() => {
    try {
      return (JSON.parse(readFileSync(resolve(ROOT, 'node_modules', 'wrangler', 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  })();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, wrangler ${wrangler}`;
}

/** Which gateway code was measured: the commit, and whether the gateway's folders had uncommitted changes. */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'node', 'cli', 'workers'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '').length;
    return dirty > 0 ? `commit ${head} + uncommitted changes (${dirty} files in src/ node/ cli/ workers/)` : `commit ${head}`;
  } catch {
    return 'unknown (no git)';
  }
}

function buildReport(input: ReportInput): { markdown: string; allPass: boolean } {
  const { s, configs, results, notes, commands } = input;
  const rounds = (id: ConfigId) => results.get(id) ?? [];
  const med = (id: ConfigId, pick: (r: RoundResult) => number) => median(rounds(id).map(pick));
  // Ratios and differences are taken within each round (same machine state), then the median.
  const perRound = (id: ConfigId, base: ConfigId, f: (a: RoundResult, b: RoundResult) => number) =>
    median(rounds(id).flatMap((r, i) => (rounds(base)[i] ? [f(r, rounds(base)[i] as RoundResult)] : [])));
  const pctOfBare = (id: ConfigId) => perRound(id, 'bare', (a, b) => (100 * a.high.rps) / b.high.rps);
  const cpuTimesBare = (id: ConfigId) => perRound(id, 'bare', (a, b) => a.cpuUsPerRequest / b.cpuUsPerRequest);
  const addedP50 = (id: ConfigId) => perRound(id, 'direct', (a, b) => a.single.p50 - b.single.p50);
  const addedTtfb = (id: ConfigId) => perRound(id, 'direct', (a, b) => a.ttfbP50 - b.ttfbP50);

  const header =
    `| Configuration | req/s @${CONNECTIONS} | % of bare proxy | p50 @${CONNECTIONS} (ms) | p99 @${CONNECTIONS} (ms) | non-2xx | CPU µs/req | ` +
    'p50 @1 (ms) | added p50 @1 vs direct (ms) | TTFB p50 @1 (ms) | added TTFB vs direct (ms) |';
  const rows = configs.map((c) => {
    const non2xx = rounds(c.id).reduce((n, r) => n + r.high.non2xx + r.single.non2xx, 0);
    const direct = c.id === 'direct';
    return (
      `| ${LABELS[c.id]} | ${fmt(med(c.id, (r) => r.high.rps), 0)} | ${fmt(pctOfBare(c.id), 1)}% | ${fmt(med(c.id, (r) => r.high.p50), 2)} | ` +
      `${fmt(med(c.id, (r) => r.high.p99), 2)} | ${non2xx} | ${fmt(med(c.id, (r) => r.cpuUsPerRequest), 0)} | ${fmt(med(c.id, (r) => r.single.p50), 3)} | ${direct ? '—' : signed(addedP50(c.id), 3)} | ` +
      `${fmt(med(c.id, (r) => r.ttfbP50), 3)} | ${direct ? '—' : signed(addedTtfb(c.id), 3)} |`
    );
  });

  const has = (id: ConfigId) => (results.get(id)?.length ?? 0) > 0;
  // What the no-logic reference reaches on the same figure in the same run: a target beyond it is
  // beyond this machine, not beyond the gateway.
  const reference = (id: ConfigId, shown: string) => (has(id) ? `${LABELS[id].replace(/ \(.*$/, '')}: ${shown}` : '—');
  const targets = [
    { what: `throughput ≥ ${TARGETS.throughputPct}% of the bare proxy's (at ${CONNECTIONS} connections)`, value: pctOfBare('node'), shown: `${fmt(pctOfBare('node'), 1)}%`, pass: pctOfBare('node') >= TARGETS.throughputPct, reference: reference('floor', `${fmt(pctOfBare('floor'), 1)}%`) },
    { what: `CPU per request ≤ ${TARGETS.cpuTimesBare}× the bare proxy's (${CONNECTIONS} connections)`, value: cpuTimesBare('node'), shown: `${fmt(cpuTimesBare('node'), 2)}×`, pass: cpuTimesBare('node') <= TARGETS.cpuTimesBare, reference: reference('floor', `${fmt(cpuTimesBare('floor'), 2)}×`) },
    { what: `added p50 latency ≤ ${TARGETS.addedP50Ms} ms over direct (1 connection)`, value: addedP50('node'), shown: `${signed(addedP50('node'), 3)} ms`, pass: addedP50('node') <= TARGETS.addedP50Ms, reference: reference('bare', `${signed(addedP50('bare'), 3)} ms`) },
    { what: `added time to first streamed byte ≤ ${TARGETS.addedTtfbMs} ms over direct (p50, 1 connection)`, value: addedTtfb('node'), shown: `${signed(addedTtfb('node'), 3)} ms`, pass: addedTtfb('node') <= TARGETS.addedTtfbMs, reference: reference('bare', `${signed(addedTtfb('bare'), 3)} ms`) },
  ];
  if (!has('node')) targets.length = 0;
  // What usage metering and metrics cost: CPU per request against the same gateway with them off, within each round.
  const meteringPct = perRound('node', 'unmetered', (a, b) => (100 * (a.cpuUsPerRequest - b.cpuUsPerRequest)) / b.cpuUsPerRequest);
  if (has('node') && has('unmetered')) {
    targets.push({ what: `usage metering and metrics add ≤ ${TARGETS.meteringCpuPct}% CPU per request (vs metering off, ${CONNECTIONS} connections)`, value: meteringPct, shown: `${signed(meteringPct, 1)}%`, pass: meteringPct <= TARGETS.meteringCpuPct, reference: '—' });
  }
  // Switchyard on Node against the closest TypeScript peer, req/s within each round.
  const timesPortkey = perRound('node', 'portkey', (a, b) => a.high.rps / b.high.rps);
  const bareTimesPortkey = perRound('bare', 'portkey', (a, b) => a.high.rps / b.high.rps);
  if (has('node') && has('portkey')) {
    targets.push({ what: `Switchyard on Node ≥ ${TARGETS.timesPortkey}× Portkey's req/s (${CONNECTIONS} connections)`, value: timesPortkey, shown: `${fmt(timesPortkey, 1)}×`, pass: timesPortkey >= TARGETS.timesPortkey, reference: reference('bare', `${fmt(bareTimesPortkey, 1)}×`) });
  }
  const workerdCpu = med('workerd', (r) => r.cpuUsPerRequest);
  if (has('workerd')) {
    targets.push({ what: `CPU per request inside raw workerd ≤ ${TARGETS.workerdCpuUs} µs (non-cacheable chat, \`auto\`, ${CONNECTIONS} connections)`, value: workerdCpu, shown: `${fmt(workerdCpu, 0)} µs`, pass: workerdCpu <= TARGETS.workerdCpuUs, reference: reference('passthrough', `${fmt(med('passthrough', (r) => r.cpuUsPerRequest), 0)} µs`) });
  }
  const allPass = targets.every((t) => t.pass && Number.isFinite(t.value));

  const perRoundRows = configs.map((c) => {
    const list = (pick: (r: RoundResult) => number, d: number) => rounds(c.id).map((r) => fmt(pick(r), d)).join(' / ');
    return `| ${LABELS[c.id]} | ${list((r) => r.high.rps, 0)} | ${list((r) => r.cpuUsPerRequest, 0)} | ${list((r) => r.single.p50, 3)} | ${list((r) => r.ttfbP50, 3)} | ${list((r) => r.ttfbP99, 3)} |`;
  });

  const gatewayModels = configs
    .filter((c) => c.id === 'node' || c.id === 'unmetered' || c.id === 'workerd' || c.id === 'wrangler' || c.id === 'portkey')
    .map((c) => `${LABELS[c.id]}: \`"model": "${c.model}"\`${c.tier ? ` → \`x-switchyard-tier: ${c.tier}\`` : ''}`)
    .join('; ');
  const seconds = Math.round((input.finishedAt.getTime() - input.startedAt.getTime()) / 1000);
  const cpu = (id: ConfigId) => med(id, (r) => r.cpuUsPerRequest);
  const cpuParts = [
    has('node') ? `Switchyard on Node ${fmt(cpu('node'), 0)} µs (${fmt(cpu('node') / cpu('bare'), 1)}× the bare proxy's)` : '',
    has('unmetered') ? `metering off ${fmt(cpu('unmetered'), 0)} µs` : '',
    `bare proxy ${fmt(cpu('bare'), 0)} µs`,
    has('floor') ? `Hono floor ${fmt(cpu('floor'), 0)} µs (${fmt(cpu('floor') / cpu('bare'), 1)}×)` : '',
    has('portkey') ? `Portkey ${fmt(cpu('portkey'), 0)} µs (${fmt(cpu('portkey') / cpu('bare'), 1)}×)` : '',
    has('workerd') ? `raw workerd ${fmt(cpu('workerd'), 0)} µs` : '',
    has('passthrough') ? `pass-through Worker in raw workerd ${fmt(cpu('passthrough'), 0)} µs` : '',
    has('wrangler') ? `wrangler dev (wrangler + workerd) ${fmt(cpu('wrangler'), 0)} µs` : '',
  ].filter((p) => p !== '');
  const cpuLine = `CPU per request at ${CONNECTIONS} connections (the configuration's own processes): ${cpuParts.join(', ')}; the simulator alone ${fmt(cpu('direct'), 0)} µs.`;
  const markdown = `## Overhead: gateway vs direct call vs bare Node proxy

Measured ${input.startedAt.toISOString()} (run took ${seconds} s) on ${machine()}; 1-minute load average ${fmt(input.load[0], 2)} at the start, ${fmt(input.load[1], 2)} at the end. Gateway code: ${input.code}.

${s.rounds} interleaved round(s); in each, every configuration gets ${s.duration} s at ${CONNECTIONS} connections, ${s.duration} s at 1 connection and ${s.samples} sequential streamed requests (after a ${s.warmup} s warm-up each). Medians over the rounds; "% of bare proxy" and "added" are computed within each round, then the median.

${header}
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}

**Targets**

| Target | Measured | Result | the no-logic reference, same figure, same run |
|---|---:|:---:|---|
${targets.map((t) => `| ${t.what} | ${t.shown} | ${t.pass && Number.isFinite(t.value) ? 'PASS' : '**FAIL**'} | ${t.reference} |`).join('\n')}

The last column is what a proxy with no logic at all reaches on the same figure on this machine (the Hono floor for throughput and CPU, the bare proxy for latency and against Portkey, the pass-through Worker in workerd): a target past it is past what this machine allows any gateway of that kind.

${cpuLine}

Per round (order rotated each round):

| Configuration | req/s @${CONNECTIONS} | CPU µs/req | p50 @1 (ms) | TTFB p50 (ms) | TTFB p99 (ms) |
|---|---|---|---|---|---|
${perRoundRows.join('\n')}

Notes
- This machine has ${os.cpus().length} cores, shared by everything in the run: the simulator, the bare proxy, the gateway (Node, or wrangler + workerd) and the load generator (autocannon, in the benchmark's own process). Every process stays up for the whole run; only one configuration is under load at a time. Absolute numbers are bound to this machine; the ratios are the result.
- Request: \`POST ${PATH}\`, \`${requestBody('<model>', false)}\` (and the same with \`"stream": true\` for time to first byte), \`Authorization: Bearer <a real key>\` for every configuration (the simulator ignores it; the gateways verify it against a key record seeded through \`SWITCHYARD_KEYS\`). ${gatewayModels}.
- Upstream: \`switchyard sim --profile zero\` (no simulated latency; ${MODEL}, max_tokens 16). The bare proxy${has('floor') ? ', the Hono floor' : ''} and the Node gateway all use an undici Pool of ${POOL_CONNECTIONS} keep-alive connections.
${has('floor') ? '- Hono floor (bench/hono-floor.ts): the framework the Node gateway is built on with no logic at all: a Hono route on @hono/node-server reads the body as text, sends it upstream through an undici Pool and answers with the bytes (a streamed answer too, so its time to first byte is that of the whole answer). Between the bare proxy and it is what Hono and the adapter cost; between it and the gateway, what the gateway\'s own work (auth, validation, classification, routing, limits, metering, tracing) costs.\n' : ''}
- CPU µs/req: user + system CPU time of the configuration's own process group (bare proxy; gateway; Portkey; workerd; wrangler + workerd; for direct, the simulator) during the ${CONNECTIONS}-connection measurement, divided by the requests answered (from /proc; 10 ms clock ticks). It does not depend on how busy the shared machine was, so it is the steadiest figure here.
- Latency percentiles come from autocannon's per-response hrtime timings (its own histogram keeps whole milliseconds only). Time to first byte: undici, one keep-alive connection, from just before sending to the first body chunk.
- Request logs off: \`--no-log\` for \`serve\`, \`SWITCHYARD_LOG_REQUESTS=false\` for the Worker (and \`--log-level warn\` for wrangler dev). The Worker rows are local workerd (raw, and behind wrangler's dev proxy), not Cloudflare's edge.
${has('portkey') ? `- Portkey: \`@portkey-ai/gateway@${PORTKEY_VERSION}\` from npm, installed on demand into the git-ignored bench/out/portkey (a benchmark peer, not a dependency), run on Node from its package \`bin\` (\`build/start-server.js --headless\`: no log UI), with \`@hono/node-server\` overridden to 2.1.9 (the release Switchyard uses): with the 1.x its range resolves to, every streamed request fails with \`TypeError: immutable\` (Portkey-AI/gateway#1389). Each request carries \`x-portkey-provider: openai\` and \`x-portkey-custom-host: <simulator>/v1\`; the body (a concrete model id: Portkey does not classify) is forwarded to the same simulator. CPU is its one Node process.\n` : ''}${has('workerd') ? '- Raw workerd: the bench Worker bundled by `wrangler deploy --dry-run --outdir` (the same bundle `wrangler deploy` uploads) and served by node_modules\' workerd binary (`workerd serve`) on a generated Cap\'n Proto config: that one ES module, the env as text bindings, wrangler.toml\'s compatibility date and flags, outbound fetch through a network service allowing loopback only. No wrangler, no dev proxy, no inspector: its CPU column is the workerd process alone (the runtime\'s HTTP stack and the isolate). Cloudflare bills the isolate\'s CPU time only, so this is an upper bound of the billed figure; `npm run bench -- overhead --profile-workerd` splits it.\n' : ''}${has('passthrough') ? '- Pass-through Worker (bench/bare-worker.ts): `fetch(upstream + path, request)` and the answer returned as it came, bundled with wrangler.toml\'s build settings and served the same way: what workerd\'s inbound HTTP, one `fetch` subrequest and the relayed Response cost with no gateway code; the Switchyard Worker\'s row minus this one is the gateway\'s own share.\n' : ''}- wrangler dev runs \`createWorker\` from workers/gateway.ts over the bench fleet, compiled by \`switchyard fleet compile\` into bench/out, under a copy of wrangler.toml without its [build] step: the shared workers/fleet.generated.json is neither read for the bench nor written by it (other work on the machine rewrites it at any time, which reloaded a wrangler dev pointed at it through SWITCHYARD_FLEET onto another fleet mid-run).
${notes.map((n) => `- ${n}\n`).join('')}
Commands (ports picked free at run time; paths relative to the repository):

\`\`\`
npm run bench -- overhead${s.quick ? ' --quick' : ''}   # --duration ${s.duration} --rounds ${s.rounds} --samples ${s.samples}
${commands.join('\n')}
\`\`\``;
  return { markdown, allPass };
}

// ---------------------------------------------------------------- --cpu-prof

async function runCpuProfile(s: Settings): Promise<number> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  rmSync(NO_KEYS_FILE, { force: true });
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'overhead benchmark (cpu profile)' });
  const startedAt = Date.now();
  try {
    const sim = await startSimulator();
    writeFileSync(FLEET_FILE, fleetYaml(sim.url));
    const node = await startNodeGateway(record, true);
    const notes: string[] = [];
    const { model } = await gatewayModel('node', node.url, key, notes);
    for (const note of notes) console.log(`note: ${note}`);
    const target = targetFor(node.url, model, key);
    console.log(`profiling ${node.child.command}`);
    assertClean('warm-up', await load(target, CONNECTIONS, s.warmup));
    const high = await load(target, CONNECTIONS, s.duration);
    assertClean(`Node gateway at ${CONNECTIONS} connections`, high);
    const ttfb = await timeToFirstByte(target, s.samples);
    console.log(`under the profiler: ${fmt(high.rps, 0)} req/s at ${CONNECTIONS} connections, TTFB p50 ${fmt(percentile(ttfb, 50), 3)} ms`);
    await stop(node.child, 'SIGINT', 20_000);
    const written = readdirSync(PROFILE_DIR)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => resolve(PROFILE_DIR, f))
      .filter((f) => statSync(f).mtimeMs >= startedAt)
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    if (!written) throw new Error(`the gateway wrote no .cpuprofile into ${rel(PROFILE_DIR)}`);
    const summary = summarizeCpuProfile(written);
    const markdown = `## Overhead: where the Node gateway's CPU time goes

Profiled ${new Date(startedAt).toISOString()} on ${machine()}: \`${node.child.command}\` under ${s.warmup} s warm-up + ${s.duration} s at ${CONNECTIONS} connections (non-streaming, \`"model": "${model}"\`) + ${s.samples} sequential streamed requests, against \`switchyard sim --profile zero\`. ${fmt(high.rps, 0)} req/s under the profiler. Profile: \`${rel(written)}\` (local, git-ignored; open it in Chrome DevTools for the call tree).

${profileMarkdown(summary)}

Command: \`npm run bench -- overhead --cpu-prof${s.quick ? ' --quick' : ''}\``;
    console.log(`\n${markdown}\n`);
    writeFileSync(resolve(OUT, 'overhead-profile.md'), markdown + '\n');
    if (!s.quick) {
      writeSection('overhead-profile', markdown, { after: 'overhead' });
      console.log('wrote the overhead-profile section of bench/RESULTS.md');
    }
    return 0;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

// ---------------------------------------------------------------- --profile-workerd

/** V8's sampling interval for the workerd profile: a request costs a few hundred µs of CPU there. */
const WORKERD_SAMPLING_US = 100;

async function runWorkerdProfile(s: Settings): Promise<number> {
  mkdirSync(PROFILE_DIR, { recursive: true });
  const keys = new ApiKeys(new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'bench', label: 'overhead benchmark (workerd profile)' });
  const startedAt = new Date();
  const loadAtStart = os.loadavg()[0] ?? Number.NaN;
  try {
    const sim = await startSimulator();
    writeFileSync(FLEET_FILE, fleetYaml(sim.url));
    prepareWorker();
    console.log('bundling the Worker (wrangler deploy --dry-run)…');
    const bundle = bundleWorker(WORKER_CONFIG, WORKERD_DIR);
    const workerd = await startWorkerd(bundle, workerBindings(record), { inspector: true });
    if (!workerd.inspector) throw new Error('workerd started without an inspector');
    await checkHealth('workerd serve', workerd.url);
    const notes: string[] = [];
    const { model, tier } = await gatewayModel('workerd', workerd.url, key, notes);
    for (const note of notes) console.log(`note: ${note}`);
    const target = targetFor(workerd.url, model, key);
    console.log(`profiling ${workerd.child.command} through its inspector (${workerd.inspector})`);
    assertClean('warm-up', await load(target, CONNECTIONS, s.warmup));
    const pgid = workerd.child.proc.pid ?? -1;
    const cpuBefore = groupCpuMs(pgid);
    const { profile, result: high } = await profileDuring(workerd.inspector, 'gateway', WORKERD_SAMPLING_US, () => load(target, CONNECTIONS, s.duration));
    const cpuAfter = groupCpuMs(pgid);
    assertClean(`raw workerd at ${CONNECTIONS} connections`, high);
    const processCpuUs = cpuBefore === undefined || cpuAfter === undefined ? Number.NaN : ((cpuAfter - cpuBefore) * 1000) / high.requests;
    const file = resolve(PROFILE_DIR, `workerd-${startedAt.toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    const { profile: mapped, mapped: mappedFrames, unmapped } = sourceMapped(profile, bundle.module, resolve(bundle.dir, `${bundle.module}.map`));
    const summary = summarizeProfile(mapped);
    const isolateUs = (summary.busyMs * 1000) / high.requests;
    const markdown = `## Overhead: where the Worker's CPU time goes in raw workerd

Profiled ${startedAt.toISOString()} on ${machine()}; 1-minute load average ${fmt(loadAtStart, 2)} at the start, ${fmt(os.loadavg()[0] ?? Number.NaN, 2)} at the end (the machine is shared: compare shares, not absolute times). Gateway code: ${codeVersion()}.

\`${workerd.child.command}\` (the bench Worker as \`wrangler deploy\` bundles it, on a generated config; see the overhead section), profiled through its inspector (Chrome DevTools Protocol \`Profiler.start\` / \`Profiler.stop\` over a WebSocket, sampling every ${WORKERD_SAMPLING_US} µs) during ${s.duration} s at ${CONNECTIONS} connections after a ${s.warmup} s warm-up: non-streaming, non-cacheable chat completions with \`"model": "${model}"\`${tier ? ` (→ tier \`${tier}\`)` : ''} against \`switchyard sim --profile zero\`. ${fmt(high.rps, 0)} req/s under the profiler, ${high.requests} requests.

- CPU per request, the workerd process (from /proc, runtime + isolate): **${fmt(processCpuUs, 0)} µs**.
- Isolate busy time per request (the profile's non-idle samples ÷ requests; on a loaded machine it also holds time the thread was runnable but descheduled): **${fmt(isolateUs, 0)} µs**.
- Frames mapped through the bundle's source map to their files: ${mappedFrames} of ${mappedFrames + unmapped} bundle frames. \`(V8 builtins / native)\` is workerd's own API code called from JS (fetch, Response, Headers, timers, waitUntil), attributed to the JS function's caller only in the inclusive table.

Raw profile: \`${rel(file)}\` (local, git-ignored; frames point into bench/out/workerd/${bundle.module}; open it in Chrome DevTools with the source map beside it).

${profileMarkdown(summary)}

Command: \`npm run bench -- overhead --profile-workerd${s.quick ? ' --quick' : ''}\``;
    console.log(`\n${markdown}\n`);
    writeFileSync(resolve(OUT, 'overhead-workerd-profile.md'), markdown + '\n');
    if (!s.quick) {
      writeSection('overhead-workerd-profile', markdown, { after: 'overhead-profile' });
      console.log('wrote the overhead-workerd-profile section of bench/RESULTS.md');
    }
    return 0;
  } finally {
    const leftovers = await stopAll();
    if (leftovers.length > 0) console.error(`could not stop: ${leftovers.join(', ')}`);
  }
}

export const benchmark: Benchmark = {
  summary:
    'What the gateway adds over a direct call to the upstream, next to a bare Node proxy, side by side in one run: ' +
    `throughput at ${CONNECTIONS} connections, p50 latency at 1 connection, time to first streamed byte.`,
  usage: USAGE,
  run: async (argv) => {
    const s = settingsFrom(argv);
    return s.cpuProf ? runCpuProfile(s) : s.profileWorkerd ? runWorkerdProfile(s) : runComparison(s);
  },
};
