// The simulated federation with its gateway as it runs in production, for the chaos and soak
// benchmarks: keys, cache and the health snapshot on Redis (redis-server behind the Upstash REST
// bridge, durable across a restart), the health prober apart from the gateway (as the Worker's
// cron is), every simulator its own process with its region's key, and the gateway's request
// log read back by request id. Faults go to the simulators through POST /sim/faults.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { runHealthProbe } from '../../src/health/run-probe.ts';
import { UpstashStore } from '../../src/store/upstash-store.ts';
import { loadFleetFile } from '../../cli/fleet-file.ts';
import { undiciTransport } from '../../node/undici-transport.ts';
import { childEnv, freePort, NODE, ROOT, start, stop, type Child } from './children.ts';
import { startDurableRedis, type DurableRedis } from './durable-redis.ts';
import { bundleWorker, prepareBenchWorker, startWorkerd } from './workerd.ts';
import { CHAT_PATH, fleetYaml, MODEL, REGIONS, requestLogSink, simLabel, startSim, type LogLine, type OtherLines, type PolicyPlan, type Sim } from './federation.ts';

export const OUT = resolve(ROOT, 'bench', 'out');
const rel = (path: string) => relative(ROOT, path);

export interface Prober {
  /** Stops writing snapshots (the stored one goes stale); resume() starts again. */
  pause(): void;
  resume(): void;
  readonly rounds: number;
  readonly failures: number;
  stop(): Promise<void>;
}

export interface GatewayProcess {
  readonly origin: string;
  readonly child: Child;
  /** host:port of its inspector, when started with one. */
  readonly inspector?: string;
}

export interface FederationStack {
  readonly sims: readonly Sim[];
  readonly redis: DurableRedis;
  /** The client key (a record in Redis). */
  readonly key: string;
  readonly policy: PolicyPlan;
  readonly prober: Prober;
  /** Request log lines by x-request-id, for ids starting with the run id. */
  readonly logs: Map<string, LogLine>;
  readonly runId: string;
  /**
   * A fresh gateway. `nodeArgs`: flags for Node / V8 before the script (e.g. a heap setting under
   * test); `policy`: under another routing policy than the stack's (its own fleet file, same simulators).
   */
  startGateway(options?: { inspect?: boolean; nodeArgs?: readonly string[]; policy?: PolicyPlan }): Promise<GatewayProcess>;
  /** The Worker (workers/gateway.ts over this fleet, as `wrangler deploy` bundles it) in raw `workerd serve`, same env. */
  startWorkerdGateway(options?: { inspect?: boolean; v8Flags?: readonly string[] }): Promise<GatewayProcess>;
  stopGateway(gateway: GatewayProcess): Promise<void>;
  setFaults(sim: Sim, patch: Record<string, unknown>): Promise<void>;
  /** Clears every simulator's faults (those running). */
  resetFaults(): Promise<void>;
  /** Command lines for the results file, secrets replaced. */
  commands(): string[];
  /** Gateway output that is not a request log line (first few, and how many). */
  readonly otherLines: OtherLines;
}

export interface StackOptions {
  readonly name: string;
  readonly profile: string;
  readonly policy: PolicyPlan;
  readonly probeIntervalMs: number;
}

export async function startFederationStack(options: StackOptions): Promise<FederationStack> {
  mkdirSync(OUT, { recursive: true });
  const fleetFile = resolve(OUT, `${options.name}-fleet.yaml`);
  const noKeysFile = resolve(OUT, `${options.name}-no-keys.json`);
  rmSync(noKeysFile, { force: true });
  const runId = `${options.name.slice(0, 2)}${randomBytes(3).toString('hex')}`;
  const upstreamKeys = new Map(REGIONS.map((r) => [r.id, `sim-${r.id}-${randomBytes(8).toString('hex')}`]));

  console.log('starting redis-server (append-only, survives a restart) behind the Upstash REST bridge…');
  const redis = await startDurableRedis();
  const store = UpstashStore.connect({ url: redis.url, token: redis.token });
  const keys = new ApiKeys(store, { memoTtlMs: 0 });
  const { key } = await keys.create({ tenant: 'bench', label: `${options.name} benchmark` });

  let seed = 1;
  const sims: Sim[] = [];
  for (const r of REGIONS) {
    for (const pod of r.pods) sims.push({ region: r.id, pod, port: await freePort(), apiKey: upstreamKeys.get(r.id) ?? '', seed: seed++, child: undefined });
  }
  console.log(`starting ${sims.length} simulators (profile ${options.profile}): ${sims.map((x) => `${x.region}/${x.pod} :${x.port}`).join(', ')}…`);
  await Promise.all(sims.map(async (x) => (x.child = await startSim(x, options.profile))));
  writeFileSync(fleetFile, fleetYaml(sims, options.policy, `bench/${options.name}.ts`));
  const { compiled } = loadFleetFile(fleetFile);

  const secrets: Record<string, string> = {};
  for (const r of REGIONS) secrets[r.secretName] = upstreamKeys.get(r.id) ?? '';
  const prober = startProber(compiled, store, secrets, options.probeIntervalMs);

  const logs = new Map<string, LogLine>();
  const otherLines: OtherLines = { first: [], count: 0 };
  const gatewayEnv = { ...secrets, UPSTASH_REDIS_REST_URL: redis.url, UPSTASH_REDIS_REST_TOKEN: redis.token };
  let lastGateway: Child | undefined;
  let workerdCommands: string[] = [];
  const firstAnswer = async (origin: string) => {
    const probe = await fetch(origin + CHAT_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'cache-control': 'no-store' },
      body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say one word.' }], max_tokens: 2 }),
    });
    const text = await probe.text();
    if (probe.status !== 200) throw new Error(`the gateway's first answer was ${probe.status}: ${text.slice(0, 300)}`);
  };

  const stack: FederationStack = {
    sims,
    redis,
    key,
    policy: options.policy,
    prober,
    logs,
    runId,
    otherLines,
    startGateway: async (o = {}) => {
      const inspector = o.inspect ? `127.0.0.1:${await freePort()}` : undefined;
      let fleet = fleetFile;
      if (o.policy !== undefined && o.policy !== options.policy) {
        fleet = resolve(OUT, `${options.name}-fleet-${o.policy.name}.yaml`);
        writeFileSync(fleet, fleetYaml(sims, o.policy, `bench/${options.name}.ts`));
      }
      const args = [
        ...(inspector ? [`--inspect=${inspector}`] : []),
        ...(o.nodeArgs ?? []),
        'cli/main.ts', 'serve', '--fleet', rel(fleet), '--port', '0', '--probe-interval', '0', '--keys-file', rel(noKeysFile),
      ];
      const child = start('gateway', NODE, args, childEnv(gatewayEnv), { onLine: requestLogSink(runId, logs, otherLines) });
      lastGateway = child;
      const ready = await child.waitForLine(/gateway on (http:\/\/[\d.]+:\d+).*/, 30_000);
      const origin = ready[1] ?? '';
      if (!ready[0].includes('key store Upstash')) throw new Error(`the gateway is not on the Redis key store: ${ready[0]}`);
      await firstAnswer(origin);
      return { origin, child, ...(inspector ? { inspector } : {}) };
    },
    startWorkerdGateway: async (o = {}) => {
      const files = {
        fleetFile,
        fleetJson: resolve(OUT, `${options.name}-fleet.generated.json`),
        entry: resolve(OUT, `${options.name}-worker.js`),
        config: resolve(OUT, `wrangler.${options.name}.toml`),
        generatedBy: `bench/${options.name}.ts`,
      };
      prepareBenchWorker(files);
      const bundle = bundleWorker(files.config, resolve(OUT, `${options.name}-workerd`));
      const started = await startWorkerd(bundle, gatewayEnv, { inspector: o.inspect === true, ...(o.v8Flags ? { v8Flags: o.v8Flags } : {}) });
      lastGateway = started.child;
      workerdCommands = [
        `node_modules/.bin/node cli/main.ts fleet compile --fleet ${rel(fleetFile)} --out ${rel(files.fleetJson)}`,
        `# ${rel(files.entry)}: export default createWorker(<that JSON>); ${rel(files.config)}: wrangler.toml with main → that entry and no [build]`,
        bundle.command,
        ...(o.v8Flags && o.v8Flags.length > 0 ? [`# config.capnp: v8Flags = ${JSON.stringify(o.v8Flags)}`] : []),
      ];
      await firstAnswer(started.url);
      return { origin: started.url, child: started.child, ...(started.inspector ? { inspector: started.inspector } : {}) };
    },
    stopGateway: (gateway) => stop(gateway.child, 'SIGTERM', 5000),
    setFaults: async (sim, patch) => {
      const r = await fetch(`http://127.0.0.1:${sim.port}/sim/faults`, { method: 'POST', body: JSON.stringify(patch) });
      if (r.status !== 200) throw new Error(`${simLabel(sim)}: POST /sim/faults answered ${r.status}: ${await r.text()}`);
    },
    resetFaults: async () => {
      await Promise.all(
        sims.filter((s) => s.child?.proc.exitCode === null && s.child.proc.signalCode === null).map(async (s) => {
          const r = await fetch(`http://127.0.0.1:${s.port}/sim/faults`, { method: 'DELETE' });
          await r.arrayBuffer();
        }),
      );
    },
    commands: () => [
      ...redis.commands,
      ...sims.map((x) => (x.child?.command ?? '').replace(x.apiKey, `<${x.region} key>`)),
      ...workerdCommands,
      workerdCommands.length > 0
        ? `${lastGateway?.command ?? ''}   # bindings in the generated config: ${Object.keys(gatewayEnv).join(', ')}`
        : `${Object.keys(gatewayEnv).map((k) => `${k}='<${k.startsWith('UPSTASH') ? 'the bridge' : 'the region key'}>'`).join(' ')} ${lastGateway?.command ?? ''}`,
      `(the health prober: src/health/run-probe.ts in the benchmark's process every ${options.probeIntervalMs} ms, writing to the same Redis)`,
    ],
  };
  return stack;
}

/** The health prober on an interval, apart from the gateway, writing the snapshot to Redis. */
function startProber(fleet: ReturnType<typeof loadFleetFile>['compiled'], store: UpstashStore, secrets: Record<string, string>, intervalMs: number): Prober {
  const transport = undiciTransport({ connectMs: fleet.routing.timeouts.connectMs });
  let paused = false;
  let stopped = false;
  let rounds = 0;
  let failures = 0;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      if (!paused) {
        try {
          await runHealthProbe({ fleet, transport: (r) => transport({ ...r, headers: { ...r.headers, connection: 'close' } }), store, secret: (n) => secrets[n] });
          rounds++;
        } catch {
          failures++; // the store is down (a fault of the run): the next round tries again
        }
      }
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  })();
  return {
    pause: () => (paused = true),
    resume: () => (paused = false),
    get rounds() {
      return rounds;
    },
    get failures() {
      return failures;
    },
    stop: async () => {
      stopped = true;
      await loop;
      await transport.close();
    },
  };
}
