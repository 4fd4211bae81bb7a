// `npm run bench -- fuzz`: the hostile-client property tests at volume. The generator of
// test/support/malformed-requests.ts (the one `npm test` draws from) sends at least 10,000
// malformed requests to `switchyard serve` over the simulated federation, socket-level ones as
// raw bytes, and a share of them (those a Request can carry) to the Worker in raw `workerd serve`
// over the same federation. Every answer must be a well-formed OpenAI error with a 4xx status, or
// a 2xx when the draw happened to be a valid request (counted apart). Reported: counts by status
// and by input class per runtime, failures with the case that caused them, requests/s, the Node
// gateway's live heap after a forced GC before and after the run (through its inspector), and
// both processes' RSS.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeCase, FUZZ_TIMEOUTS, fuzzFleet, fuzzFleetYaml, fuzzTarget, INPUT_CLASSES, judgeAnswer, malformedRequest, stalledBody, type InputClass, type MalformedCase } from '../test/support/malformed-requests.ts';
import { sendCase } from '../test/support/send-malformed.ts';
import { startServeStack, type ServeStack } from '../test/support/serve-stack.ts';
import { COMMON_USAGE, numberFlag, parseFlags, type Benchmark } from './lib/benchmark.ts';
import { ROOT, stopAllAndReport } from './lib/children.ts';
import { CdpSession } from './lib/inspector-profile.ts';
import { publishSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { buildWorkerBundle, wranglerBuildSettings } from './lib/worker-bundle.ts';
import { startWorkerd, type StartedWorkerd } from './lib/workerd.ts';
import { fmt } from './lib/stats.ts';

const OUT = resolve(ROOT, 'bench', 'out', 'fuzz-workerd');
/** Past the fleet's own total deadline: a request stuck upstream is judged by the gateway's answer (a 504), not cut off by the client first. */
const TIMEOUT_MS = FUZZ_TIMEOUTS.totalMs + 15_000;
/** The gateway's body timeout in this run (`switchyard serve --body-timeout`): what a stalled body waits for its 408. */
const BODY_TIMEOUT_MS = 2_000;

const USAGE = `${COMMON_USAGE}
  --requests <n>     malformed requests to the Node gateway (default 15000, so that more than 10,000 are refused
                     even though about a third of the draws turn out valid; --quick 1000)
  --workerd <n>      of the same generator's fetch-able requests, how many go to raw workerd (default 2000; --quick 300)
  --stalled <n>      bodies that stop partway with the client still connected, all in flight at once, each answered 408 after the gateway's ${BODY_TIMEOUT_MS / 1000} s body timeout (default 60; --quick 20)
  --concurrency <n>  requests in flight (default 16)
  --seed <n>         fast-check seed (default: random; printed, so a run can be repeated)`;

type Bucket = '2xx' | '4xx' | '5xx' | 'other' | 'none';
const bucketOf = (status: number | undefined): Bucket =>
  status === undefined ? 'none' : status >= 200 && status < 300 ? '2xx' : status >= 400 && status < 500 ? '4xx' : status >= 500 ? '5xx' : 'other';

interface Tally {
  sent: number;
  byStatus: Map<string, number>;
  byClass: Map<InputClass, Map<Bucket, number>>;
  /** Answers that break the rule, with the case. */
  failures: string[];
  /** Raw cases that hung up mid-request and got no answer (allowed). */
  unansweredHangUps: number;
  /**
   * Workerd only: uploads over the limit whose connection the runtime closed while the client was
   * still sending, so the client saw a write error instead of the 413 (workerd's HTTP stack, not
   * the Worker; on Cloudflare the edge reads the request).
   */
  closedMidUpload: number;
  ms: number;
}

const newTally = (): Tally => ({ sent: 0, byStatus: new Map(), byClass: new Map(), failures: [], unansweredHangUps: 0, closedMidUpload: 0, ms: 0 });
const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);

/** Sends every case, `concurrency` at a time, and tallies what came back. */
async function run(origin: string, cases: readonly MalformedCase[], concurrency: number, tally: Tally, runtimeClosesUploads = false, expectStatus?: number): Promise<void> {
  const started = performance.now();
  const at = () => `[${fmt((performance.now() - started) / 1000, 1)} s] `;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const c = cases[next++] as MalformedCase;
        const outcome = await sendCase(origin, c, TIMEOUT_MS);
        tally.sent++;
        const perClass = tally.byClass.get(c.inputClass) ?? new Map<Bucket, number>();
        tally.byClass.set(c.inputClass, perClass);
        if ('none' in outcome) {
          bump(tally.byStatus, `no answer (${outcome.none})`);
          bump(perClass, 'none');
          if (c.transport === 'raw' && c.mayGoUnanswered) tally.unansweredHangUps++;
          else if (runtimeClosesUploads && (c.inputClass === 'oversize-chunked' || c.inputClass === 'oversize-declared') && /EPIPE|ECONNRESET/.test(outcome.detail)) tally.closedMidUpload++;
          else tally.failures.push(`${at()}no answer (${outcome.none}: ${outcome.detail}) to ${describeCase(c)}`);
          continue;
        }
        bump(tally.byStatus, String(outcome.answer.status));
        bump(perClass, bucketOf(outcome.answer.status));
        const verdict = judgeAnswer(c.transport === 'fetch' ? c.method : 'RAW', outcome.answer);
        if (!verdict.ok) tally.failures.push(`${at()}${verdict.reason} — to ${describeCase(c)}`);
        else if (expectStatus !== undefined && outcome.answer.status !== expectStatus) tally.failures.push(`${at()}status ${outcome.answer.status}, not ${expectStatus} — to ${describeCase(c)}`);
      }
    }),
  );
  tally.ms += performance.now() - started;
}

interface HeapReading {
  heapUsed: number;
  rss: number;
}

/** The gateway's live heap: full GCs (it runs with --expose-gc) through its inspector, then process.memoryUsage(). */
async function liveHeap(session: CdpSession): Promise<HeapReading> {
  const { result } = await session.call<{ result: { value: HeapReading } }>('Runtime.evaluate', {
    expression: 'gc(); gc(); (({ heapUsed, rss }) => ({ heapUsed, rss }))(process.memoryUsage())',
    returnByValue: true,
  });
  return result.value;
}

const rssOf = (pid: number | undefined): number => {
  if (pid === undefined) return Number.NaN;
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : Number.NaN;
};

const mib = (bytes: number) => `${fmt(bytes / 2 ** 20, 1)} MiB`;

async function startWorkerGateway(stack: ServeStack): Promise<StartedWorkerd> {
  const settings = wranglerBuildSettings();
  const built = await buildWorkerBundle(OUT, { fleetJson: JSON.stringify(fuzzFleet(stack.info.fleet)) });
  const module = built.files.find((f) => f.path.endsWith('.js'))?.path;
  if (!module) throw new Error(`the Worker bundle in ${OUT} has no .js module`);
  return startWorkerd(
    { dir: OUT, module, compatibilityDate: settings.compatibilityDate, compatibilityFlags: [...settings.compatibilityFlags], command: 'buildWorkerBundle (bench/lib/worker-bundle.ts)' },
    { ...stack.info.secrets, SWITCHYARD_KEYS: JSON.stringify(stack.info.keys.records), SWITCHYARD_LOG_REQUESTS: 'false', SWITCHYARD_METRICS_FLUSH_MS: '0' },
  );
}

export const benchmark: Benchmark = {
  summary: 'hostile client at volume: ≥10,000 malformed requests (20 input classes) at switchyard serve and a share in raw workerd; counts by status and class, 0 5xx, live heap after forced GC before/after',
  usage: USAGE,
  async run(argv) {
    const f = parseFlags(argv, { requests: { type: 'string' }, workerd: { type: 'string' }, stalled: { type: 'string' }, concurrency: { type: 'string' }, seed: { type: 'string' } });
    const quick = f.quick === true;
    const requests = numberFlag(f.requests, quick ? 1_000 : 15_000, 'requests', true);
    const workerdRequests = numberFlag(f.workerd, quick ? 300 : 2_000, 'workerd', true);
    const stalledRequests = numberFlag(f.stalled, quick ? 20 : 60, 'stalled', true);
    const concurrency = numberFlag(f.concurrency, 16, 'concurrency', true);
    const seed = typeof f.seed === 'string' ? Number(f.seed) : Math.floor(Math.random() * 2 ** 31);
    const startedAt = new Date();
    const loadAtStart = loadAverage();
    let stack: ServeStack | undefined;
    let session: CdpSession | undefined;
    try {
      console.log('starting the simulated federation and switchyard serve (--expose-gc, inspector on)…');
      stack = await startServeStack({}, ['--probe-interval', '0', '--no-log', '--body-timeout', String(BODY_TIMEOUT_MS)], { nodeFlags: ['--expose-gc', '--inspect=127.0.0.1:0'], editFleet: fuzzFleetYaml });
      const inspectorUrl = stack.gateway.output.map((l) => /Debugger listening on (ws:\/\/\S+)/.exec(l)?.[1]).find((u) => u !== undefined);
      if (!inspectorUrl) throw new Error(`the gateway printed no inspector address:\n${stack.gateway.output.join('\n')}`);
      session = await CdpSession.open(inspectorUrl);
      console.log('bundling the Worker and starting raw workerd…');
      const workerd = await startWorkerGateway(stack);

      const target = fuzzTarget(stack.info.keys.any);
      const all = malformedRequest(target);
      const warmup = fc.sample(all, { numRuns: Math.min(500, requests), seed: seed + 1 });
      const cases = fc.sample(all, { numRuns: requests, seed });
      const fetchable = fc.sample(malformedRequest(target, { transports: ['fetch'] }), { numRuns: workerdRequests, seed: seed + 2 });
      const stalled = fc.sample(stalledBody(target), { numRuns: stalledRequests, seed: seed + 3 });

      // Warm-up (not counted): every lazily built structure exists before the heap is read.
      console.log(`warm-up: ${warmup.length} requests to each gateway…`);
      await run(stack.url, warmup, concurrency, newTally());
      await run(workerd.url, warmup.filter((c) => c.transport === 'fetch'), concurrency, newTally(), true);
      const heapBefore = await liveHeap(session);
      const workerdRssBefore = rssOf(workerd.child.proc.pid);

      console.log(`Node: ${requests} malformed requests, ${concurrency} in flight (seed ${seed})…`);
      const node = newTally();
      await run(stack.url, cases, concurrency, node);
      console.log(`Node: ${stalledRequests} stalled bodies, all in flight at once (each waits for the ${BODY_TIMEOUT_MS} ms body timeout)…`);
      const nodeMs = node.ms;
      await run(stack.url, stalled, Math.max(1, stalledRequests), node, false, 408);
      node.ms = nodeMs; // the rate is of the other requests: a stalled one waits out the timeout by design
      console.log(`workerd: ${workerdRequests} malformed requests…`);
      const worker = newTally();
      await run(workerd.url, fetchable, concurrency, worker, true);
      // Deferred work (metering, logs) settles, then the same forced GC as before.
      await new Promise((r) => setTimeout(r, 3_000));
      const heapAfter = await liveHeap(session);
      const workerdRssAfter = rssOf(workerd.child.proc.pid);

      const nodeAlive = stack.gateway.child.exitCode === null && stack.gateway.child.signalCode === null;
      const workerdAlive = workerd.child.proc.exitCode === null && workerd.child.proc.signalCode === null;
      const stacks = stack.gateway.output.filter((l) => l.includes('"stack"')).length;
      const fiveHundreds = (t: Tally) => [...t.byStatus].filter(([s]) => /^5\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
      const pass = node.failures.length === 0 && worker.failures.length === 0 && nodeAlive && workerdAlive && stacks === 0;

      const classRows = (t: Tally) =>
        INPUT_CLASSES.filter((c) => t.byClass.has(c)).map((c) => {
          const b = t.byClass.get(c) as Map<Bucket, number>;
          const n = (k: Bucket) => b.get(k) ?? 0;
          return `| ${c} | ${[...b.values()].reduce((x, y) => x + y, 0)} | ${n('4xx')} | ${n('2xx')} | ${n('5xx')} | ${n('other')} | ${n('none')} |`;
        });
      const statusLine = (t: Tally) => [...t.byStatus].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
      const failureList = (t: Tally) => (t.failures.length === 0 ? 'none' : `\n${t.failures.slice(0, 15).map((x) => `  - ${x.slice(0, 400)}`).join('\n')}${t.failures.length > 15 ? `\n  - … ${t.failures.length - 15} more` : ''}`);
      const heapDelta = heapAfter.heapUsed - heapBefore.heapUsed;
      const markdown = `## Fuzz: malformed requests (\`npm run bench -- fuzz\`)

Run ${startedAt.toISOString()}, ${machine()}, load average ${fmt(loadAtStart, 2)} at start; ${codeVersion()}.
The machine was shared with other engineers' work during the run: rates are indicative; the counts are the result.

**${pass ? 'PASS' : 'FAIL'}**: ${node.sent.toLocaleString('en')} malformed requests to the Node gateway and ${worker.sent.toLocaleString('en')} in raw workerd; ${node.failures.length + worker.failures.length} answers broke the rule, ${fiveHundreds(node) + fiveHundreds(worker)} were 5xx; both processes alive at the end (Node ${nodeAlive ? 'yes' : 'NO'}, workerd ${workerdAlive ? 'yes' : 'NO'}), ${stacks} stack traces in the gateway's output.

| | Node (\`switchyard serve\`) | Worker in raw \`workerd serve\` |
|---|---|---|
| requests | ${node.sent} | ${worker.sent} |
| requests/s (${concurrency} in flight; Node: without the stalled bodies) | ${fmt((node.sent - stalled.length) / (node.ms / 1000), 0)} | ${fmt(worker.sent / (worker.ms / 1000), 0)} |
| answers breaking the rule | ${node.failures.length} | ${worker.failures.length} |
| hang-ups left unanswered (allowed: the client stopped short and left) | ${node.unansweredHangUps} | ${worker.unansweredHangUps} |
| uploads over the limit the runtime closed mid-upload (a write error, not the 413; allowed in workerd only, see below) | ${node.closedMidUpload} | ${worker.closedMidUpload} |
| live heap after forced GC, before → after | ${mib(heapBefore.heapUsed)} → ${mib(heapAfter.heapUsed)} (${heapDelta >= 0 ? '+' : ''}${mib(heapDelta)}) | (no GC control in workerd) |
| RSS before → after | ${mib(heapBefore.rss)} → ${mib(heapAfter.rss)} | ${mib(workerdRssBefore)} → ${mib(workerdRssAfter)} |

Counts by status — Node: ${statusLine(node)}.
Workerd: ${statusLine(worker)}.

By input class (Node):

| class | sent | 4xx | 2xx (valid draw) | 5xx | other | no answer |
|---|---|---|---|---|---|---|
${classRows(node).join('\n')}

By input class (workerd):

| class | sent | 4xx | 2xx (valid draw) | 5xx | other | no answer |
|---|---|---|---|---|---|---|
${classRows(worker).join('\n')}

Failures (Node): ${failureList(node)}

Failures (workerd): ${failureList(worker)}

How it was run:
- \`npm run bench -- fuzz${argv.length > 0 ? ` ${argv.join(' ')}` : ''}\` with fast-check seed ${seed} (\`--seed ${seed}\` repeats the draw). The cases come from test/support/malformed-requests.ts, the generator of the property tests in \`npm test\` (test/e2e and test/workers \`malformed-requests.test.ts\`); the rule is its \`judgeAnswer\`: status 4xx, \`content-type: application/json\`, a body of exactly \`{error:{message,type,param,code}}\` (message and type non-empty strings, param and code string or null), no header the request tried to inject; a 2xx is a valid draw (a whitespace edit, a lone surrogate in a prompt, an extra field the gateway passes through) and is counted, not failed.
- Node: the test federation (test/support/services-process.ts: the simulators, redis-server behind the REST bridge) and \`switchyard serve --probe-interval 0 --no-log\` under \`node --expose-gc --inspect=127.0.0.1:0\`; its live heap is read through the inspector (\`gc(); gc(); process.memoryUsage()\`) after a ${Math.min(500, requests)}-request warm-up and again 3 s after the run. Raw cases (CR/LF/NUL in header lines, heads past 16 KiB, thousands of headers, odd methods, targets and versions, chunked framing, bodies that trickle, stop short or lie about their length) go over node:net; the others with fetch. The gateway runs with \`--body-timeout ${BODY_TIMEOUT_MS}\`; after the run, ${stalled.length} stalled bodies (\`stalled-body\`: a Content-Length not reached or chunks without the last one, the client staying connected; the generator's \`stalledBody\`) are sent all at once and each must be answered 408 \`request_timeout\`. Not sent to workerd: there the runtime owns the socket (see SECURITY.md).
- Workerd: the Worker bundled with wrangler's esbuild settings (bench/lib/worker-bundle.ts) over the same fleet, served by \`workerd serve\` (bench/lib/workerd.ts), sent only the cases a Request can carry: raw socket framing there is the runtime's own HTTP stack (Cloudflare's edge in production), not the gateway's. For the same reason an upload over the limit that workerd cuts off mid-body (the Worker answered 413; the runtime closes while the client is still writing, and undici reports the write error) is counted apart, not as a failure; on Node, where the socket is the gateway's, the connection lingers until the client has read the answer, and such a case is a failure.
- The fleet is the test federation's with \`maxBodyBytes\` ${'1 MiB'} (room for JSON nested 10^5 deep, which is then refused by depth, not size) and upstream timeouts raised (connect 5 s, first byte 15 s, total 30 s, from the federation's 0.5 / 1.5 / 10 s) so simulators slowed by the shared machine (they share one process and tokenize megabyte prompts) cannot turn a valid draw into a 503 or 504; valid draws go only to its fault-free models (llama-3.1-8b, qwen-hf, bge-small-en, and \`auto\`).`;
      publishSection('fuzz', markdown, { quick });
      return pass ? 0 : 1;
    } finally {
      session?.close();
      await stopAllAndReport();
      await stack?.stop();
    }
  },
};
