// `npm start`: a laptop-sized federation. One simulated vLLM server per endpoint origin in
// the local fleet (each region with its own upstream API key), the gateway under
// `wrangler dev` on 127.0.0.1:8787, and a dev client key printed once. Ctrl-C stops every
// process this started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadFleetFile } from '../../cli/fleet-file.ts';
import { ApiKeys } from '../../src/auth/api-keys.ts';
import { generateKey } from '../../src/auth/key-material.ts';
import type { CompiledFleet } from '../../src/fleet/compiled.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { storeFromEnv } from '../../src/store/select-store.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const FLEET = process.env['SWITCHYARD_FLEET'] ?? 'infra/fleet.local.yaml';
const GATEWAY_PORT = Number(process.env['SWITCHYARD_PORT'] ?? 8787);
/** How often the dev stack runs the Worker's scheduled health probe (the deployed cron runs once a minute). */
const PROBE_EVERY_MS = 10_000;
const SIM_PROFILE = process.env['SWITCHYARD_SIM_PROFILE'] ?? 'h100-8b';
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

interface SimPlan {
  origin: URL;
  region: string;
  models: Set<string>;
  pathStyles: Set<string>;
}

/** One simulator per origin; an origin may serve several models of one region. */
function simsFor(fleet: CompiledFleet): SimPlan[] {
  const byOrigin = new Map<string, SimPlan>();
  for (const e of fleet.endpoints) {
    const origin = new URL(e.baseUrl);
    if (!['127.0.0.1', 'localhost'].includes(origin.hostname)) {
      throw new Error(`${FLEET}: endpoint ${e.id} is not on loopback (${origin.origin}); the dev stack only simulates local endpoints`);
    }
    const plan = byOrigin.get(origin.origin) ?? { origin: new URL(origin.origin), region: e.region, models: new Set(), pathStyles: new Set() };
    if (plan.region !== e.region) throw new Error(`${FLEET}: ${origin.origin} is used by regions ${plan.region} and ${e.region}`);
    plan.models.add(e.model);
    plan.pathStyles.add(e.pathStyle === 'openai-v1' ? 'openai' : 'v1');
    byOrigin.set(origin.origin, plan);
  }
  return [...byOrigin.values()];
}

const portFree = (port: number) =>
  new Promise<boolean>((done) => {
    const probe = createServer()
      .once('error', () => done(false))
      .once('listening', () => probe.close(() => done(true)))
      .listen(port, '127.0.0.1');
  });

async function waitFor(url: string, child: ChildProcess, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before it was ready`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} was not ready at ${url} within ${timeoutMs / 1000} s`);
}

const children: ChildProcess[] = [];
let tempDir: string | undefined;
let stopping = false;

function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  const forceKill = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, 3000);
  void Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined))).then(() => {
    clearTimeout(forceKill);
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    process.exit(code);
  });
}

function start(cmd: string, args: string[], label: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => `[${label}] ${l}`)
      .join('\n');
  child.stdout?.on('data', (c: Buffer) => console.log(prefix(c)));
  child.stderr?.on('data', (c: Buffer) => console.error(prefix(c)));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[dev-stack] ${label} stopped (${signal ?? `exit ${code}`}); stopping everything`);
      stopAll(1);
    }
  });
  children.push(child);
  return child;
}

async function main(): Promise<void> {
  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));

  const { compiled } = loadFleetFile(join(ROOT, FLEET));
  const sims = simsFor(compiled);
  for (const port of [GATEWAY_PORT, ...sims.map((s) => Number(s.origin.port))]) {
    if (!(await portFree(port))) throw new Error(`port ${port} is in use; stop whatever holds it (an earlier \`npm start\`?) and retry`);
  }

  // Each region gets its own upstream key: the gateway must present the right one per region.
  const upstreamKeys = new Map(compiled.regions.map((r) => [r.id, `sim-${r.id}-${generateKey().slice(3, 19)}`]));
  for (const sim of sims) {
    const args = ['cli/main.ts', 'sim', '--port', sim.origin.port, '--profile', SIM_PROFILE, '--api-key', upstreamKeys.get(sim.region) ?? ''];
    for (const m of sim.models) args.push('--model', m);
    args.push('--path-style', sim.pathStyles.size > 1 ? 'both' : [...sim.pathStyles][0] ?? 'v1');
    // GPU gauges as a merged dcgm-exporter scrape would carry them, for the dashboard's GPU column.
    args.push('--gpu-metrics', '1');
    start(bin('node'), args, `sim ${sim.region} :${sim.origin.port}`);
  }
  await Promise.all(sims.map((s, i) => waitFor(`${s.origin.origin}/health`, children[i] as ChildProcess, `simulator ${s.origin.origin}`, 30_000)));

  // The dev key and the first admin key: in Upstash when configured (shared with `switchyard
  // keys`), else seeded as hashes into the Worker's in-memory store (SWITCHYARD_KEYS). The admin
  // key reaches /admin/keys and /admin/tenants, so more keys are made through the gateway.
  const upstash = Boolean(process.env['UPSTASH_REDIS_REST_URL']);
  const keys = new ApiKeys(upstash ? storeFromEnv(process.env) : new MemoryStore(), { memoTtlMs: 0 });
  const { key, record } = await keys.create({ tenant: 'dev', label: 'npm start' });
  const admin = await keys.create({ tenant: 'ops', label: 'npm start admin', role: 'admin' });

  tempDir = mkdtempSync(join(tmpdir(), 'switchyard-dev-'));
  const envFile = join(tempDir, 'dev.env');
  const vars: Record<string, string> = { WRANGLER_SEND_METRICS: 'false' };
  for (const r of compiled.regions) if (r.credentialsSecret) vars[r.credentialsSecret] = upstreamKeys.get(r.id) ?? '';
  if (!upstash) vars['SWITCHYARD_KEYS'] = JSON.stringify([record, admin.record]);
  for (const name of ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN'] as const) {
    const value = process.env[name];
    if (value) vars[name] = value;
  }
  writeFileSync(envFile, Object.entries(vars).map(([k, v]) => `${k}='${v}'`).join('\n') + '\n', { mode: 0o600 });

  const wrangler = start(
    bin('wrangler'),
    ['dev', '--local', '--ip', '127.0.0.1', '--port', String(GATEWAY_PORT), '--env-file', envFile, '--show-interactive-dev-session=false', '--test-scheduled'],
    'wrangler',
    { ...process.env, SWITCHYARD_FLEET: FLEET, WRANGLER_SEND_METRICS: 'false' },
  );
  const gateway = `http://127.0.0.1:${GATEWAY_PORT}`;
  await waitFor(`${gateway}/healthz`, wrangler, 'wrangler dev', 90_000);
  // wrangler dev does not fire cron triggers by itself: run the health prober the way the
  // deployed cron would (more often, so the dashboard's fleet table is live from the start).
  const probe = () => fetch(`${gateway}/__scheduled?cron=*+*+*+*+*`).then((r) => r.body?.cancel(), () => {});
  await probe();
  setInterval(probe, PROBE_EVERY_MS).unref();

  console.log(`
switchyard is ready on ${gateway}  (fleet ${FLEET}, ${sims.length} simulated vLLM servers, key store ${upstash ? 'Upstash' : 'in-memory'})
dev API key: ${key}
admin API key: ${admin.key}   (SWITCHYARD_ADMIN_KEY=… npx switchyard keys list --gateway ${gateway})
dashboard:     ${gateway}/dashboard#key=${admin.key}
metrics:       curl ${gateway}/metrics -H "Authorization: Bearer ${admin.key}"
usage:         SWITCHYARD_ADMIN_KEY=${admin.key} npx switchyard usage --gateway ${gateway}

  curl ${gateway}/v1/chat/completions -H "Authorization: Bearer ${key}" -H "Content-Type: application/json" \\
    -d '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Hello"}]}'

  OPENAI_BASE_URL=${gateway}/v1 OPENAI_API_KEY=${key}   # for the openai client

Ctrl-C stops everything.`);
}

main().catch((error: unknown) => {
  console.error(`[dev-stack] ${error instanceof Error ? error.message : String(error)}`);
  stopAll(1);
});
