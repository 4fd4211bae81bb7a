// POST …/chat/completions and …/completions: faults first, then validation, then the request
// joins the scheduler and its tokens are paced by the latency model, streamed as SSE or
// returned as one JSON body. With all latencies 0 and no faults, the answer is written
// synchronously: no timer on the whole path.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { ErrorShape } from './error-shapes.ts';
import { findContinuation } from './continuation.ts';
import { drawsError, nestingDepth, servedNow, type Faults } from './faults.ts';
import { sendError } from './http-io.ts';
import { tokenDelayMs } from './latency-model.ts';
import { type InferenceKind, type InferenceRequest, parseInferenceRequest } from './parse-request.ts';
import { completionBody, streamFrames, usageOf } from './response-bodies.ts';
import type { Job } from './scheduler.ts';
import type { SimState } from './sim-state.ts';
import { chatLogprobs, completionLogprobs } from './logprobs.ts';
import { outputBudget, type PlannedOutput, planOutput } from './text-generator.ts';
import { type Pacing, paceTokens } from './token-pacer.ts';

/** The request body as received: parsed JSON, or why it is not JSON. */
export type ReceivedBody = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** What a Python server's unhandled RecursionError looks like, internal paths and all (a gateway must not pass them on). */
const RECURSION_TRACEBACK = [
  'Traceback (most recent call last):',
  '  File "/usr/local/lib/python3.12/site-packages/vllm/entrypoints/openai/serving_chat.py", line 211, in create_chat_completion',
  '    request_prompts, engine_prompts = await self._preprocess_chat(',
  '  File "/usr/local/lib/python3.12/site-packages/vllm/entrypoints/chat_utils.py", line 1207, in apply_hf_chat_template',
  '    return tokenizer.apply_chat_template(conversation=conversation, tools=tools)',
  'RecursionError: maximum recursion depth exceeded while calling a Python object (worker vllm-0.vllm.inference.svc.cluster.local:8000)',
].join('\n');

export function handleInference(state: SimState, kind: InferenceKind, res: ServerResponse, body: ReceivedBody): void {
  // Faults are read once on arrival, so a change mid-request does not mix two configurations.
  const faults = state.faults;
  const position = state.faultSeq;
  state.faultSeq += 1;
  if (faults.addedLatencyMs > 0) {
    const timer = setTimeout(() => {
      if (!res.destroyed) serve(state, kind, res, body, faults, position);
    }, faults.addedLatencyMs);
    res.once('close', () => clearTimeout(timer));
    return;
  }
  serve(state, kind, res, body, faults, position);
}

function serve(state: SimState, kind: InferenceKind, res: ServerResponse, body: ReceivedBody, faults: Faults, position: number): void {
  // Hang: leave the request open and unanswered; the client's timeout (or close()) ends it.
  if (faults.hang) return;
  const shape = faults.errorShape;
  if (faults.redirectTo !== null) {
    res.writeHead(307, { location: faults.redirectTo, 'content-length': '0' });
    res.end();
    return;
  }
  if (drawsError(state.seed, position, faults.errorRate)) {
    sendError(res, shape, { status: faults.errorStatus, message: `Simulated failure: injected HTTP ${faults.errorStatus}.` }, faults.retryAfterSeconds);
    return;
  }
  if (!body.ok) {
    sendError(res, shape, { status: 400, message: `Invalid JSON body: ${body.error}` });
    return;
  }
  if (faults.nestingLimit !== null && nestingDepth(body.value, faults.nestingLimit) > faults.nestingLimit) {
    sendError(res, shape, { status: 500, message: RECURSION_TRACEBACK });
    return;
  }
  const parsed = parseInferenceRequest(kind, body.value);
  if (!parsed.ok) {
    sendError(res, shape, { status: 400, message: parsed.message, ...(parsed.param === undefined ? {} : { param: parsed.param }) });
    return;
  }
  const model = parsed.request.model ?? state.models[0]!;
  // A partial answer of this model's to continue: the prompt is the base plus the tokens it answered.
  const continued = findContinuation(parsed.request, state.seed, model);
  const r = continued === undefined ? parsed.request : { ...parsed.request, promptTokens: continued.promptTokens };
  if (!servedNow(state.models, state.faults).includes(model)) {
    sendError(res, shape, { status: 404, message: `The model \`${model}\` does not exist.`, param: 'model' });
    return;
  }
  const promptLength = r.promptTokens.length;
  const maxModelLen = state.profile.maxModelLen;
  if (r.maxTokens === undefined ? promptLength >= maxModelLen : promptLength + r.maxTokens > maxModelLen) {
    const asked = promptLength + (r.maxTokens ?? 0);
    sendError(res, shape, {
      status: 400,
      message:
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${asked} tokens ` +
        `(${promptLength} in the messages, ${r.maxTokens ?? 0} in the completion). ` +
        'Please reduce the length of the messages or completion.',
    });
    return;
  }
  // Continuing, the plan is the original request's (its budget is what is left plus what was
  // answered), and only its rest is answered. With n > 1, each choice has its own plan.
  const sent = continued?.sent ?? 0;
  const basePrompt = continued?.baseTokens ?? r.promptTokens;
  const plans: Array<PlannedOutput & { readonly firstPosition: number }> = [];
  for (let i = 0; i < r.n; i++) {
    const full = planOutput({
      seed: state.seed,
      model,
      promptTokens: basePrompt,
      maxTokens: Math.min(outputBudget(r.maxTokens === undefined ? undefined : r.maxTokens + sent), maxModelLen - basePrompt.length),
      minTokens: r.minTokens + sent,
      ignoreEos: r.ignoreEos,
      ...(r.seed === undefined ? {} : { requestSeed: r.seed }),
      choice: continued?.choice ?? i,
    });
    plans.push(sent === 0 ? { ...full, firstPosition: 0 } : { pieces: full.pieces.slice(sent), finishReason: full.finishReason, firstPosition: sent });
  }
  generate(state, res, r, model, plans, shape, r.stream ? faults.cutAfterChunks : null);
}

/** Choice `i`'s logprobs for its pieces `[from, to)`, as JSON, or undefined when none were asked. */
function logprobsOf(r: InferenceRequest, plan: PlannedOutput & { readonly firstPosition: number }, from: number, to: number, offset: number): unknown {
  if (r.logprobs === undefined) return undefined;
  const pieces = plan.pieces.slice(from, to);
  return r.kind === 'chat' ? chatLogprobs(pieces, plan.firstPosition + from, r.logprobs) : completionLogprobs(pieces, plan.firstPosition + from, offset, r.logprobs);
}

/** Runs one validated request through the scheduler and writes its answer. */
function generate(
  state: SimState,
  res: ServerResponse,
  r: InferenceRequest,
  model: string,
  plans: ReadonlyArray<PlannedOutput & { readonly firstPosition: number }>,
  shape: ErrorShape,
  cutAfterChunks: number | null,
): void {
  const { scheduler, counters, profile } = state;
  const id = state.nextRequestId;
  state.nextRequestId += 1;
  const meta = {
    id: `${r.kind === 'chat' ? 'chatcmpl-' : r.kind === 'response' ? 'resp_' : 'cmpl-'}${randomUUID().replaceAll('-', '')}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
  const promptLength = r.promptTokens.length;
  // Choices advance together, one token each per step, as vLLM's sequences of one request do.
  const steps = Math.max(...plans.map((p) => p.pieces.length));
  const generated = plans.reduce((sum, p) => sum + p.pieces.length, 0);
  const frames = streamFrames(r.kind, meta);
  /** Characters each choice has streamed: its next token's `text_offset`. */
  const offsets = plans.map(() => 0);
  let ended = false;
  let cachedTokens = 0;
  let pacing: Pacing | undefined;
  // Stream text produced in one synchronous burst, written with a single res.write.
  let pending = '';
  let chunks = 0;

  const end = (reason: 'stop' | 'length' | 'abort'): void => {
    ended = true;
    scheduler.remove(id);
    counters.success[reason] += 1;
  };
  // The cut fault: what was produced reaches the client, then the connection ends without
  // the chunked terminator or [DONE], like a backend dying mid-stream.
  const cut = (): void => {
    if (pending !== '') res.write(pending);
    else if (!res.headersSent) res.flushHeaders();
    pending = '';
    end('abort');
    res.socket?.end();
  };
  const push = (frame: string): boolean => {
    if (cutAfterChunks !== null && chunks >= cutAfterChunks) {
      cut();
      return false;
    }
    pending += frame;
    chunks += 1;
    return true;
  };
  /** Step `index`'s token of every choice that has one. */
  const emitStep = (index: number): boolean => {
    for (const [i, plan] of plans.entries()) {
      const piece = plan.pieces[index];
      if (piece === undefined) continue;
      counters.generationTokens += 1;
      if (!r.stream) continue;
      const logprobs = logprobsOf(r, plan, index, index + 1, offsets[i]!);
      offsets[i]! += [...piece].length;
      const finish = index === plan.pieces.length - 1 ? plan.finishReason : null;
      if (!push(frames.token(piece, finish, i, logprobs === undefined ? 'null' : JSON.stringify(logprobs)))) return false;
    }
    return true;
  };

  const job: Job = {
    id,
    promptTokens: r.promptTokens,
    totalTokens: promptLength + generated,
    salt: r.cacheSalt,
    start: (admission) => {
      cachedTokens = admission.cachedTokens;
      pacing = paceTokens({
        count: steps,
        delayMs: (index) => tokenDelayMs(profile, { index, promptTokens: promptLength, cachedTokens, running: scheduler.running }),
        emit: (index) => {
          if (index === 0) counters.promptTokens += promptLength;
          if (r.stream && index === 0) {
            for (const i of plans.keys()) {
              const opening = frames.start(i);
              if (opening !== '' && !push(opening)) return false;
            }
          }
          return emitStep(index);
        },
        flush: () => {
          if (pending === '') return;
          res.write(pending);
          pending = '';
        },
        done: () => {
          const usage = usageOf(promptLength, generated, cachedTokens);
          const first = plans[0]!;
          if (!r.stream) {
            const choices = plans.map((p) => ({ text: p.pieces.join(''), finish: p.finishReason, logprobs: logprobsOf(r, p, 0, p.pieces.length, 0) ?? null }));
            const body = completionBody(r.kind, meta, first.pieces.join(''), first.finishReason, usage, choices);
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
            res.end(body);
          } else {
            if (r.includeUsage && !push(frames.usage(usage))) return;
            if (cutAfterChunks !== null && chunks >= cutAfterChunks) {
              cut();
              return;
            }
            res.end(pending + frames.end(first.pieces.join(''), first.finishReason, usage));
            pending = '';
          }
          end(first.finishReason);
        },
        now: () => performance.now(),
      });
    },
  };

  // A client that leaves (or a cut) aborts the request wherever it is: waiting or running.
  res.once('close', () => {
    if (ended) return;
    pacing?.cancel();
    ended = true;
    if (scheduler.remove(id) !== 'absent') counters.success.abort += 1;
  });

  if (r.stream) {
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  }
  const result = scheduler.submit(job);
  if (result === 'queue-full') {
    ended = true;
    sendError(res, shape, {
      status: 429,
      message: `The server is overloaded: ${scheduler.running} requests running and the waiting queue is full (${profile.maxWaitingQueueLength}).`,
    });
    return;
  }
  if (result === 'too-large') {
    ended = true;
    sendError(res, shape, {
      status: 400,
      message: `The request needs more KV cache than the server has (${profile.kvCacheBlocks} blocks of ${profile.blockSize} tokens).`,
    });
    return;
  }
  // A stream that waits for a slot or for its first token already has its headers, as with vLLM.
  if (r.stream && !ended && !res.headersSent) res.flushHeaders();
}
