// What mid-stream failover costs the stream path (src/forward/stream-continuation.ts), per SSE
// chunk of a vLLM chat stream, side by side in one run: the option off (the upstream reader as
// is), opted in while nothing fails (each event parsed once, bytes unchanged), and a continuation
// leg (each event parsed and re-serialized with the first leg's id and usage); then the same for
// text-completion chunks carrying logprobs (a continuation shifts their text_offsets) and for
// n = 2 (each choice continued on its own leg, under its index). Every stream is also run through
// the SSE relay, as the gateway does, so the numbers are what a stream pays.
import { relaySse } from '../src/api/sse-relay.ts';
import { CancelScope } from '../src/backends/cancellation.ts';
import type { BodyReader } from '../src/backends/transport.ts';
import type { Forwarded } from '../src/forward/forward.ts';
import { continuingStream, type StreamContinuation } from '../src/forward/stream-continuation.ts';
import { type Benchmark, numberFlag, parseFlags } from './lib/benchmark.ts';
import { writeSection } from './lib/results-file.ts';
import { codeVersion, loadAverage, machine } from './lib/run-info.ts';
import { fmt, median } from './lib/stats.ts';

const encoder = new TextEncoder();
const CHUNKS = 256;
const chunk = (id: string, i: number) =>
  encoder.encode(`data: {"id":"${id}","object":"chat.completion.chunk","created":1764800000,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":" token${i}"},"logprobs":null,"finish_reason":null}]}\n\n`);
const DONE = encoder.encode('data: [DONE]\n\n');
const WHOLE = [...Array.from({ length: CHUNKS }, (_, i) => chunk('first', i)), DONE];
const SECOND = [...Array.from({ length: CHUNKS }, (_, i) => chunk('second', i)), DONE];
/** A vLLM text-completion chunk with `logprobs: 2`: one token, its offset, two alternatives. */
const textChunk = (id: string, i: number) =>
  encoder.encode(
    `data: {"id":"${id}","object":"text_completion","created":1764800000,"model":"llama-3.1-8b","choices":[{"index":0,"text":" token${i}","logprobs":{"text_offset":[${i * 8}],"token_logprobs":[-0.25],"tokens":[" token${i}"],"top_logprobs":[{" token${i}":-0.25," other":-1.5}]},"finish_reason":null,"stop_reason":null}]}\n\n`,
  );
const TEXT_WHOLE = [...Array.from({ length: CHUNKS }, (_, i) => textChunk('first', i)), DONE];
const TEXT_SECOND = [...Array.from({ length: CHUNKS }, (_, i) => textChunk('second', i)), DONE];
/** n = 2: the first leg cut after one chunk per choice; each choice then continued on its own leg of half the chunks. */
const twoChoices = encoder.encode(
  'data: {"id":"first","object":"chat.completion.chunk","created":1764800000,"model":"llama-3.1-8b","choices":[{"index":0,"delta":{"content":"A"},"logprobs":null,"finish_reason":null}]}\n\n' +
    'data: {"id":"first","object":"chat.completion.chunk","created":1764800000,"model":"llama-3.1-8b","choices":[{"index":1,"delta":{"content":"B"},"logprobs":null,"finish_reason":null}]}\n\n',
);
const HALF = [...Array.from({ length: CHUNKS / 2 }, (_, i) => chunk('second', i)), DONE];

/** A leg replaying `chunks`, then ending (or failing, as a cut connection does). */
function leg(chunks: readonly Uint8Array[], cut = false): Forwarded {
  let i = 0;
  const reader: BodyReader = {
    read: async () => {
      if (i < chunks.length) return { done: false, value: chunks[i++]! };
      if (cut) throw new Error('cut');
      return { done: true };
    },
    cancel: async () => {},
  };
  const candidate = { endpoint: { id: 'a' }, region: { id: 'r' } } as unknown as Forwarded['candidate'];
  return { response: { status: 200, header: () => null, bytes: async () => new Uint8Array(0), reader: () => reader, discard: () => {} }, candidate, attempts: [], done: () => {}, bodyEnded: () => {} };
}

const plan = (next: () => Forwarded, extra: Partial<StreamContinuation> = {}): StreamContinuation => ({ route: 'chat', maxContinuations: 2, maxTextChars: 256 * 1024, body: () => '{}', forward: async () => next(), ...extra });

/** `baseline`: the row its added cost is measured against (the same chunks, option off). */
const CASES: { name: string; baseline: number; reader: () => BodyReader }[] = [
  { name: 'chat: option off (upstream reader as is)', baseline: 0, reader: () => leg(WHOLE).response.reader() },
  { name: 'chat: opted in, nothing fails (parse each event)', baseline: 0, reader: () => continuingStream(leg(WHOLE), plan(() => leg(SECOND)), new CancelScope()).reader },
  // One chunk, a cut, then the whole answer from the continuation: nearly every chunk is rewritten.
  { name: 'chat: continuation leg (parse + rewrite each event)', baseline: 0, reader: () => continuingStream(leg(WHOLE.slice(0, 1), true), plan(() => leg(SECOND)), new CancelScope()).reader },
  { name: 'chat n = 2: each choice continued on its own leg (index rewritten)', baseline: 0, reader: () => continuingStream(leg([twoChoices], true), plan(() => leg(HALF), { choices: 2 }), new CancelScope()).reader },
  { name: 'text + logprobs: option off', baseline: 4, reader: () => leg(TEXT_WHOLE).response.reader() },
  { name: 'text + logprobs: opted in, nothing fails', baseline: 4, reader: () => continuingStream(leg(TEXT_WHOLE), plan(() => leg(TEXT_SECOND), { route: 'completions' }), new CancelScope()).reader },
  { name: 'text + logprobs: continuation leg (text_offset shifted)', baseline: 4, reader: () => continuingStream(leg(TEXT_WHOLE.slice(0, 1), true), plan(() => leg(TEXT_SECOND), { route: 'completions' }), new CancelScope()).reader },
];

async function relayOnce(reader: BodyReader): Promise<void> {
  const body = relaySse(reader, { idleMs: 60_000 }).getReader();
  for (;;) if ((await body.read()).done) return;
}

/** µs of CPU (wall, single-threaded, no I/O) per relayed chunk: the median of `rounds` interleaved rounds. */
async function measure(streams: number, rounds: number): Promise<{ name: string; us: number }[]> {
  const samples = CASES.map(() => [] as number[]);
  for (const c of CASES) for (let w = 0; w < Math.min(200, streams); w++) await relayOnce(c.reader());
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of CASES.entries()) {
      const start = process.hrtime.bigint();
      for (let s = 0; s < streams; s++) await relayOnce(c.reader());
      samples[i]!.push(Number(process.hrtime.bigint() - start) / 1000 / streams / (CHUNKS + 1));
    }
  }
  return CASES.map((c, i) => ({ name: c.name, us: median(samples[i]!) }));
}

export const benchmark: Benchmark = {
  summary: 'mid-stream failover on the stream path: µs per relayed SSE chunk with the option off, opted in while nothing fails, and on a continuation leg, side by side',
  usage: ['  --streams <n>    streams per case and round (default 2000)', '  --rounds <n>     interleaved rounds; the median is reported (default 5)', '  --quick          a smoke run (bench/RESULTS.md is not updated)', '  -h, --help       this help'].join('\n'),
  async run(argv) {
    const flags = parseFlags(argv, { streams: { type: 'string' } });
    if (flags.help) {
      console.log(`Usage: npm run bench -- continuation [flags]\n\n${benchmark.usage}`);
      return 0;
    }
    const streams = flags.quick ? 100 : numberFlag(flags.streams, 2_000, 'streams', true);
    const rounds = flags.quick ? 1 : numberFlag(flags.rounds, 5, 'rounds', true);
    const rows = await measure(streams, rounds);
    const table = [
      '## Mid-stream failover: cost per streamed chunk',
      '',
      `Run ${new Date().toISOString().slice(0, 10)} on ${machine()}; 1-minute load average ${loadAverage().toFixed(2)} at the end of the run; ${codeVersion()}.`,
      `${streams.toLocaleString('en')} streams of ${CHUNKS} vLLM chunks + \`[DONE]\` per case and round (chat chunks, or text-completion chunks with \`logprobs: 2\`; n = 2: one chunk per choice, then a leg of ${CHUNKS / 2} per choice), through the SSE relay, median of ${rounds} interleaved rounds. Command: \`npm run bench -- continuation\`.`,
      'No I/O: what the gateway itself spends per chunk. A decoding GPU sends a chunk every 10–50 ms.',
      '',
      '| case | µs per chunk | added vs off |',
      '|---|---:|---:|',
      ...rows.map((r, i) => {
        const base = CASES[i]!.baseline;
        return `| ${r.name} | ${fmt(r.us, 2)} | ${base === i ? '—' : `+${fmt(r.us - rows[base]!.us, 2)} µs`} |`;
      }),
    ].join('\n');
    console.log(table);
    if (flags.quick) console.log('(quick run: bench/RESULTS.md not updated)');
    else writeSection('continuation', table);
    return 0;
  },
};
