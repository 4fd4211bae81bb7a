// Classifier latency on Node: p50/p99 of one classify() call over realistic requests, up to a
// 128k-character prompt. The classifier reads at most a fixed budget of text (read-budget.ts),
// so the target is the same whatever the size: p99 ≤ 0.2 ms. CPU-only, so it is measured on
// Node, not in workerd (whose timers do not advance during pure computation).
//
//   node_modules/.bin/node bench/classify.ts [--iterations N] [--quick]
import { classify } from '../src/classify/classify.ts';
import { BUDGET_CHARS } from '../src/classify/read-budget.ts';
import type { ClassifyRequest } from '../src/classify/request.ts';
import { type Benchmark, numberFlag, parseFlags, UsageError } from './lib/benchmark.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, percentile } from './lib/stats.ts';

const user = (content: string) => ({ role: 'user', content });
const assistant = (content: string) => ({ role: 'assistant', content });

// Building blocks of the long prompt: an engineer pasting an incident write-up, logs, code and
// numbers into one request, as long-context users do.
const SECTIONS = [
  (i: number) =>
    `Incident ${i}: between 09:${10 + (i % 50)} and 09:${12 + (i % 47)} UTC the checkout service returned elevated 5xx ` +
    'responses for about four minutes. The on-call engineer saw the error rate climb from 0.2% to 7.5% ' +
    'right after the deploy of build 4812, and rolled back before the payment queue backed up. ' +
    'Customers in the EU region were affected most, because their traffic is pinned to the canary pool.',
  (i: number) =>
    '```ts\n' +
    `export async function reserveStock${i}(order: Order, db: Database): Promise<Reservation> {\n` +
    '  const items = order.lines.map((line) => ({ sku: line.sku, quantity: line.quantity }));\n' +
    '  return db.transaction(async (tx) => {\n' +
    '    for (const item of items) {\n' +
    '      const row = await tx.query("SELECT available FROM stock WHERE sku = $1 FOR UPDATE", [item.sku]);\n' +
    '      if (row.available < item.quantity) throw new OutOfStockError(item.sku);\n' +
    '    }\n' +
    '    return tx.insert("reservations", { orderId: order.id, items, expiresAt: Date.now() + 900_000 });\n' +
    '  });\n' +
    '}\n```',
  (i: number) =>
    `2026-11-0${1 + (i % 9)}T09:14:${10 + (i % 49)}Z ERROR checkout-7f9c pool=canary status=503 latency_ms=${1200 + i * 7} ` +
    'upstream="payments-v2" msg="connection reset by peer" retries=3 trace_id=4bf92f3577b34da6a3ce929d0e0e4736',
  (i: number) =>
    `The p99 latency budget is 800 ms; with ${20 + i} replicas at 65% utilisation the queueing model gives ` +
    'W = 1 / (mu - lambda) = 1 / (50 - 32.5) s, about 57 ms of waiting per request, so the budget should hold ' +
    'unless the arrival rate exceeds 45 requests per second per replica.',
  () =>
    'Please explain step by step what most likely caused the failure, compare the two hypotheses (connection ' +
    'pool exhaustion versus the new retry policy), and propose a plan to prevent it. The answer must be in ' +
    'Markdown, at most 600 words, with a table of action items and owners.',
];

/** The incident write-up grown section by section until the user message holds `chars` characters. */
function longPrompt(chars: number): ClassifyRequest {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < chars; i++) {
    const section = SECTIONS[i % SECTIONS.length]?.(i) ?? '';
    parts.push(section);
    length += section.length + 2;
  }
  return { messages: [{ role: 'system', content: 'You are a senior site reliability engineer.' }, user(parts.join('\n\n').slice(0, chars))] };
}

export function benchCases(): { name: string; request: ClassifyRequest }[] {
  return [
    { name: 'short question', request: { messages: [user('What is the capital of Australia?')] } },
    {
      name: 'code request',
      request: {
        messages: [
          user(
            'Why does this Python function return None for some inputs? Fix it and add type hints.\n' +
              '```python\ndef parse(line):\n    parts = line.split(",")\n    if len(parts) > 2:\n' +
              '        return {"name": parts[0], "age": int(parts[1])}\n```',
          ),
        ],
        max_tokens: 1024,
      },
    },
    {
      name: 'multi-turn chat, 6 messages',
      request: {
        messages: [
          { role: 'system', content: 'You are a helpful travel assistant.' },
          user('I want to visit Japan in April for ten days. Where should I go?'),
          assistant(
            'April is cherry blossom season. A classic ten-day route is Tokyo (4 days), Hakone (1), Kyoto (3) ' +
              'and Osaka (2). Book hotels early, since spring is the busiest time of year.',
          ),
          user('Can you make it cheaper and avoid the biggest crowds?'),
          assistant('Consider Kanazawa instead of Hakone, stay in business hotels, and use a regional rail pass.'),
          user('Great. Now give me a day-by-day plan with a budget in yen, in a table.'),
        ],
      },
    },
    {
      name: 'CJK request',
      request: {
        messages: [
          user(
            '请帮我分析一下这段代码的性能问题，并给出优化建议。我们的服务在高峰期响应时间超过两秒，' +
              '数据库查询大约占了百分之六十的时间。请按步骤说明，并比较两种缓存方案的优缺点。',
          ),
        ],
      },
    },
    { name: `${BUDGET_CHARS.toLocaleString('en')}-character prompt (the read budget)`, request: longPrompt(BUDGET_CHARS) },
    { name: '16,000-character prompt', request: longPrompt(16_000) },
    { name: '128,000-character prompt', request: longPrompt(128_000) },
    { name: '1,000,000-character prompt', request: longPrompt(1_000_000) },
  ];
}

export interface ClassifyBenchRow {
  name: string;
  chars: number;
  tokens: number;
  minUs: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
}

/** Warms up, then times each classify() call on its own with performance.now(). */
export async function measureClassify(options: { iterations?: number; warmup?: number } = {}): Promise<ClassifyBenchRow[]> {
  const iterations = options.iterations ?? 20_000;
  const warmup = options.warmup ?? 2_000;
  const rows: ClassifyBenchRow[] = [];
  for (const { name, request } of benchCases()) {
    let sink = 0;
    for (let i = 0; i < warmup; i++) sink += classify(request).score;
    const samples = new Float64Array(iterations);
    for (let i = 0; i < iterations; i++) {
      const start = performance.now();
      sink += classify(request).score;
      samples[i] = performance.now() - start;
    }
    if (Number.isNaN(sink)) throw new Error('classify returned NaN');
    const us = Array.from(samples, (ms) => ms * 1000);
    rows.push({
      name,
      chars: (request.messages ?? []).reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0),
      tokens: Math.round(classify(request).features.promptTokens),
      minUs: Math.min(...us),
      p50Us: percentile(us, 50),
      p99Us: percentile(us, 99),
      meanUs: us.reduce((a, b) => a + b, 0) / us.length,
    });
    // Let pending work (GC, timers) settle between cases.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return rows;
}

/** p99 target for any prompt, in µs. */
export const TARGET_P99_US = 200;

export function classifyTable(rows: readonly ClassifyBenchRow[], iterations: number): string {
  // Tail latency of CPU-bound code is mostly the scheduler when the machine is busy: say how busy.
  const big = rows.find((r) => r.chars >= 128_000);
  return [
    `## Classifier latency`,
    '',
    `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}; 1-minute load average ${loadAverage().toFixed(2)} at the end of the run; ${codeVersion()}.`,
    `${iterations.toLocaleString('en')} timed \`classify()\` calls per case after warm-up. Command: \`npm run bench -- classify\`.`,
    `The classifier reads at most ${BUDGET_CHARS.toLocaleString('en')} characters of a request's text (head, tail and middle windows), so its cost stops growing there.`,
    `Target: p99 ≤ ${TARGET_P99_US} µs for a 128,000-character prompt.`,
    '',
    '| request | characters | est. tokens | min µs | p50 µs | p99 µs | mean µs |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.chars.toLocaleString('en')} | ${r.tokens.toLocaleString('en')} | ${fmt(r.minUs, 1)} | ${fmt(r.p50Us, 1)} | ${fmt(r.p99Us, 1)} | ${fmt(r.meanUs, 1)} |`),
    '',
    big ? `128,000 characters: p99 ${fmt(big.p99Us, 1)} µs, ${big.p99Us <= TARGET_P99_US ? 'within' : 'OVER'} the ${TARGET_P99_US} µs target.` : '',
  ].join('\n');
}

export const benchmark: Benchmark = {
  summary: 'classifier latency (p50/p99 of classify()) on Node, up to a 1,000,000-character prompt (target p99 ≤ 0.2 ms at 128k characters)',
  usage: [
    '  --iterations <n> timed calls per request (default 20000)',
    '  --quick          2,000 calls per request, for a smoke run (bench/RESULTS.md is not updated)',
    '  -h, --help       this help',
  ].join('\n'),
  async run(argv) {
    const flags = parseFlags(argv, { iterations: { type: 'string' } });
    if (flags.help) {
      console.log(`Usage: node bench/classify.ts [flags]\n\n${benchmark.usage}`);
      return 0;
    }
    const iterations = flags.quick ? 2_000 : numberFlag(flags.iterations, 20_000, 'iterations', true);
    const rows = await measureClassify({ iterations, warmup: flags.quick ? 200 : 2_000 });
    const table = classifyTable(rows, iterations);
    console.log(table);
    if (flags.quick) console.log('(quick run: bench/RESULTS.md not updated)');
    else writeSection('classify', table);
    return 0;
  },
};

if (import.meta.main) {
  try {
    process.exitCode = await benchmark.run(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`bench classify: ${error.message}\n${benchmark.usage}`);
    process.exitCode = 2;
  }
}
