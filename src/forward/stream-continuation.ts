import type { ContinuableRoute, PartialAnswer } from '../api/continuation-body.ts';
import { CancelScope, type Cancellation } from '../backends/cancellation.ts';
import type { BodyReader } from '../backends/transport.ts';
import { StreamIdle } from '../api/sse-relay.ts';
import { concat, lastEventEnd } from '../meter/stream-usage.ts';
import type { Forwarded } from './forward.ts';

/**
 * Mid-stream failover: when the upstream of a streamed chat or text completion dies after its
 * first bytes (cut, ended without `[DONE]`, or silent for the relay's idle time), the same
 * completion is continued on another endpoint (another region first) and relayed as the rest of
 * the same stream — same id, `created` and model, no text twice or missing, the usage of every
 * leg in the final chunk. Only when nothing can continue it does the relay end it with the error
 * event, as without the option.
 *
 * With `n > 1` each choice is its own sequence: the unfinished ones are continued in turn, one
 * request each (n = 1, that choice's text so far), their chunks relayed under the choice's own
 * `index`; finished choices stay finished, and the usage chunk and `[DONE]` come once, after the
 * last. A choice that had no text yet is asked afresh (vLLM cannot continue an empty message).
 * Logprobs come from the leg that sampled each token; a text completion's `text_offset`s of a
 * continuation count from its own start, so they are shifted by the choice's characters so far.
 *
 * Never continued (the stream ends with the error event, as without the option): tool calls
 * (vLLM's `continue_final_message` continues a message's text only; an assistant message's tool
 * calls are rendered from parsed arguments, which fail on a partial JSON, and the tool parser
 * reads only the new request's output), reasoning, and the requests
 * src/api/continuation-body.ts blocks.
 *
 * What it costs, only for streams whose policy opts in: each complete SSE event of the first leg
 * is decoded and parsed once (the bytes themselves go on untouched) to keep the text so far, and
 * an event split across reads is held until its end, so a cut never leaves half an event with the
 * client. Events of a continuation leg are parsed and re-serialized (id, index, offsets, usage
 * rewritten). A request that could never be continued (echo, a grammar, …) is relayed unparsed.
 * `npm run bench -- continuation` measures it per chunk.
 */
export interface StreamContinuation {
  route: ContinuableRoute;
  /** Continuations allowed per choice. */
  maxContinuations: number;
  /** The text so far is kept up to this many characters; a longer answer is not continued. */
  maxTextChars: number;
  /** The request's `n`: choices, each its own sequence, each continued on its own. Default 1. */
  choices?: number;
  /** Why this request can never be continued (src/api/continuation-body.ts); its stream then passes unparsed. */
  blocker?: string | undefined;
  /** The continuation request's body for one choice (n = 1), or undefined when nothing is left to answer. */
  body(partial: PartialAnswer): string | undefined;
  /** Sends it to an endpoint this stream has not failed on, other regions first; throws when none answers. */
  forward(body: string, failed: { endpoints: ReadonlySet<string>; regions: ReadonlySet<string> }, cancel: Cancellation): Promise<Forwarded>;
}

/** How a stream whose upstream was cut came out: continued to its end, or not (and why). */
export type ContinuationOutcome = 'continued' | 'failed' | 'ineligible';

export interface ContinuationReport {
  outcome: ContinuationOutcome;
  continuations: number;
  /** Why it was not continued (for the log). */
  detail?: string;
}

export interface ContinuingStream {
  reader: BodyReader;
  /** Ends the leg relaying now as the relay saw the stream end (its endpoint's breaker learns it). */
  end(ok: boolean): void;
  /** Undefined when no upstream was cut; else what came of it, given whether the client's stream completed. */
  report(relay: { completed: boolean; error?: string | undefined }): ContinuationReport | undefined;
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const BLANK_LINE = /\r?\n\r?\n/;
const DONE_EVENT = 'data: [DONE]\n\n';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `data:` payload of one SSE event block, or undefined when it has none. */
function dataOf(block: string): string | undefined {
  let data: string | undefined;
  for (const line of block.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/** Characters as vLLM counts them for `text_offset` (Python's `len`: code points, not UTF-16 units). */
function codePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff && i > 0) {
      const before = text.charCodeAt(i - 1);
      if (before >= 0xd800 && before <= 0xdbff) n--;
    }
  }
  return n;
}

/** A continuation's opening chunk (`delta: {role: "assistant", content: ""}`): the client may have had one already. */
function isOpening(choice: Json): boolean {
  const delta = choice['delta'];
  return isObject(delta) && delta['role'] !== undefined && (delta['content'] === '' || delta['content'] == null) && delta['tool_calls'] == null && choice['finish_reason'] == null;
}

/** Tokens a chunk's choice carries: one per logprob entry when it has them (exact), else one per non-empty piece. */
function tokensIn(route: ContinuableRoute, choice: Json, piece: string): number {
  const logprobs = choice['logprobs'];
  if (isObject(logprobs)) {
    const list = route === 'chat' ? logprobs['content'] : logprobs['tokens'];
    if (Array.isArray(list)) return list.length;
  }
  return piece === '' ? 0 : 1;
}

/** What one choice (one sequence of `n`) has said so far. */
interface ChoiceState {
  text: string;
  tokens: number;
  finished: boolean;
  /** The client has its opening (`role`) chunk. */
  opened: boolean;
  /** Legs after the first that answered it. */
  continuations: number;
}

/** The leg relaying now, when it continues one choice: whose, and what that choice had before it. */
interface ContinuationLeg {
  choice: number;
  startTokens: number;
  /** Characters of the choice's text before this leg: its `text_offset`s count from here. */
  startChars: number;
  /** The leg's own final usage chunk (held until the whole stream ends). */
  usage?: Json;
}

export function continuingStream(first: Forwarded, plan: StreamContinuation, cancel: Cancellation): ContinuingStream {
  let leg = first;
  let upstream = first.response.reader();
  let legClosed = false;
  let held: Uint8Array = EMPTY;
  let ending: { error: unknown } | undefined;
  let ended = false;

  let ineligible = plan.blocker;
  /** Parsing at all: a request that can never be continued passes unparsed. */
  const parsing = ineligible === undefined;
  /** Bytes pass as they come: never parsed, or nothing left to continue before any continuation. */
  let passthrough = !parsing;
  let failedBecause: string | undefined;
  const choiceCount = Math.max(1, plan.choices ?? 1);
  const choices: ChoiceState[] = Array.from({ length: choiceCount }, () => ({ text: '', tokens: 0, finished: false, opened: false, continuations: 0 }));
  let textChars = 0;
  let sawDone = false;
  let meta: { id: unknown; created: unknown; model: unknown } | undefined;
  let continuations = 0;
  let cut = false;
  /** Undefined while the first leg relays (every choice); else the continuation leg's choice. */
  let current: ContinuationLeg | undefined;
  /** The last usage chunk of a continuation leg, rewritten to the whole stream's usage at its end. */
  let usageChunk: Json | undefined;
  let basePrompt: number | undefined;
  let cachedTokens: number | undefined;
  let inflight: CancelScope | undefined;
  const failedEndpoints = new Set<string>();
  const failedRegions = new Set<string>();

  const closeLeg = (ok: boolean) => {
    if (legClosed) return;
    legClosed = true;
    leg.bodyEnded(ok);
    leg.done();
  };

  /** Keeps what each choice said so far, and notes what makes the answer impossible to continue. */
  const account = (chunk: Json) => {
    meta ??= { id: chunk['id'], created: chunk['created'], model: chunk['model'] };
    const list = chunk['choices'];
    if (!Array.isArray(list)) return;
    const running = chunk['usage'];
    for (const choice of list as unknown[]) {
      if (!isObject(choice)) continue;
      const index = choice['index'] ?? 0;
      const state = typeof index === 'number' ? choices[index] : undefined;
      if (state === undefined) {
        ineligible ??= `a choice index out of range (${String(index)})`;
        continue;
      }
      let piece: unknown;
      if (plan.route === 'chat') {
        const delta = choice['delta'];
        if (isObject(delta)) {
          piece = delta['content'];
          if (delta['role'] !== undefined) state.opened = true;
          const calls: unknown = delta['tool_calls'];
          // vLLM continues only a final message's text: an assistant message with tool calls is
          // rendered from parsed arguments (json.loads fails on partial ones), and its tool parser
          // reads only the new request's output, so the rest of a call would come back as text.
          if (Array.isArray(calls) && calls.length > 0) ineligible ??= 'tool calls (vLLM cannot continue partial tool-call arguments)';
          if ((typeof delta['reasoning_content'] === 'string' && delta['reasoning_content'] !== '') || (typeof delta['reasoning'] === 'string' && delta['reasoning'] !== '')) {
            ineligible ??= 'reasoning (a continued final message holds only the answer: the thinking so far would be lost)';
          }
        }
      } else piece = choice['text'];
      const text = typeof piece === 'string' ? piece : '';
      if (text !== '') {
        state.text += text;
        textChars += text.length;
        if (textChars > plan.maxTextChars) ineligible ??= `an answer longer than ${plan.maxTextChars} characters`;
      }
      state.tokens += tokensIn(plan.route, choice, text);
      // vLLM's running usage (continuous_usage_stats) counts this choice's tokens exactly.
      if (isObject(running) && typeof running['completion_tokens'] === 'number' && list.length === 1) {
        state.tokens = (current?.choice === index ? current.startTokens : 0) + running['completion_tokens'];
      }
      if (choice['finish_reason'] != null) state.finished = true;
    }
  };

  /** The usage of a continuation leg counted for the whole answer: its prompt held the choice's text so far, which is answer, not prompt. */
  const asAnswerUsage = (usage: Json, startTokens: number, completionTokens: number) => {
    const prompt = usage['prompt_tokens'];
    if (typeof prompt !== 'number') return;
    const input = Math.max(0, prompt - startTokens);
    usage['prompt_tokens'] = input;
    usage['completion_tokens'] = completionTokens;
    usage['total_tokens'] = input + completionTokens;
    // Cached prompt tokens may include the re-sent text: never more than the prompt they are part of.
    const details = usage['prompt_tokens_details'];
    if (isObject(details) && typeof details['cached_tokens'] === 'number') details['cached_tokens'] = Math.min(details['cached_tokens'], input);
  };

  /**
   * A continuation's chunk as the client's stream goes on: the first leg's id, created and model,
   * the continued choice's index, its `text_offset`s after the characters already streamed.
   * Its final usage chunk is held (undefined) until the whole answer ends.
   */
  const rewrite = (chunk: Json, at: ContinuationLeg, opened: boolean): Json | undefined => {
    if (meta) {
      chunk['id'] = meta.id;
      chunk['created'] = meta.created;
      chunk['model'] = meta.model;
    }
    const list = chunk['choices'];
    const usage = chunk['usage'];
    if (Array.isArray(list) && list.length === 0 && isObject(usage)) {
      at.usage = usage;
      usageChunk = chunk;
      return undefined;
    }
    if (Array.isArray(list)) {
      for (const choice of list as unknown[]) {
        if (!isObject(choice)) continue;
        choice['index'] = at.choice;
        const logprobs = choice['logprobs'];
        const offsets = isObject(logprobs) ? logprobs['text_offset'] : undefined;
        if (isObject(logprobs) && Array.isArray(offsets) && at.startChars > 0) logprobs['text_offset'] = offsets.map((o: unknown) => (typeof o === 'number' ? o + at.startChars : o));
      }
      // Its opening: dropped when the client has this choice's already.
      if (plan.route === 'chat' && list.length === 1 && isObject(list[0]) && isOpening(list[0]) && opened) return undefined;
    }
    // Running usage (continuous_usage_stats): the choice's own count across its legs.
    const completion = isObject(usage) ? usage['completion_tokens'] : undefined;
    if (isObject(usage) && typeof completion === 'number') asAnswerUsage(usage, at.startTokens, completion + at.startTokens);
    return chunk;
  };

  /** The usage of the whole answer, every leg of every choice, in the last leg's usage chunk. */
  const finalUsage = (): string => {
    if (usageChunk === undefined) return '';
    const usage = usageChunk['usage'] as Json;
    usage['prompt_tokens'] = basePrompt ?? usage['prompt_tokens'];
    const completion = choices.reduce((sum, c) => sum + c.tokens, 0);
    asAnswerUsage(usage, 0, completion);
    const details = usage['prompt_tokens_details'];
    if (isObject(details) && cachedTokens !== undefined) details['cached_tokens'] = Math.min(cachedTokens, Number(usage['prompt_tokens']));
    return `data: ${JSON.stringify(usageChunk)}\n\n`;
  };

  /** The complete events in `bytes[0, end)`: observed (first leg, bytes unchanged) or rewritten (a continuation). */
  const handle = (bytes: Uint8Array, end: number): Uint8Array => {
    const at = current;
    let out = '';
    for (const block of decoder.decode(bytes.subarray(0, end)).split(BLANK_LINE)) {
      if (block === '') continue;
      const data = dataOf(block);
      let chunk: unknown;
      if (data === '[DONE]') {
        sawDone = true;
        // A continuation's [DONE] ends its leg, not the answer: the stream's own comes last.
        if (at) continue;
      } else if (data !== undefined) {
        try {
          chunk = JSON.parse(data);
        } catch {
          ineligible ??= 'a malformed chunk';
        }
      }
      if (!at) {
        if (isObject(chunk)) account(chunk);
        continue;
      }
      // Not a chunk (an in-stream error object, say): relayed as it came.
      if (!isObject(chunk) || !Array.isArray(chunk['choices'])) {
        out += `${block}\n\n`;
        continue;
      }
      const list = chunk['choices'];
      if (Array.isArray(list)) for (const choice of list as unknown[]) if (isObject(choice)) choice['index'] = at.choice;
      // The client had this choice's start: its opening, or text (a server may send no opening).
      const opened = choices[at.choice]!.opened || choices[at.choice]!.text !== '';
      account(chunk);
      const rewritten = rewrite(chunk, at, opened);
      if (rewritten) out += `data: ${JSON.stringify(rewritten)}\n\n`;
    }
    return at ? encoder.encode(out) : bytes.subarray(0, end);
  };

  /** The next choice to continue: unfinished, in index order. */
  const nextChoice = (): number | undefined => {
    const index = choices.findIndex((c) => !c.finished);
    return index < 0 ? undefined : index;
  };

  /**
   * Starts a leg continuing the next unfinished choice; false when none can be (the relay then
   * reports the cut). `afterCut`: the leg relaying now died (else it ended well, its choice whole).
   */
  const startLeg = async (afterCut: boolean): Promise<boolean> => {
    if (afterCut) {
      cut = true;
      closeLeg(false);
      failedEndpoints.add(leg.candidate.endpoint.id);
      failedRegions.add(leg.candidate.region.id);
    } else closeLeg(true);
    if (ineligible !== undefined) return false;
    const index = nextChoice();
    if (index === undefined) failedBecause = 'cut after its last token';
    else if (choices[index]!.continuations >= plan.maxContinuations) failedBecause = `${plan.maxContinuations} continuations already`;
    else if (cancel.cancelled) failedBecause = cancel.reason === 'deadline' ? 'the total deadline passed' : 'the client left';
    if (failedBecause !== undefined || index === undefined) return false;
    const state = choices[index]!;
    const body = plan.body({ text: state.text, tokens: state.tokens });
    if (body === undefined) {
      failedBecause = 'no tokens left to answer';
      return false;
    }
    // Its own scope, so the relay giving up (idle) while it connects cancels it too.
    const scope = new CancelScope();
    inflight = scope;
    cancel.onCancel(() => scope.cancel(cancel.reason ?? 'client'));
    try {
      leg = await plan.forward(body, { endpoints: failedEndpoints, regions: failedRegions }, scope);
    } catch (error) {
      failedBecause = `no endpoint continued it (${error instanceof Error ? error.message : String(error)})`;
      return false;
    } finally {
      inflight = undefined;
    }
    if (ended) {
      leg.response.discard();
      leg.done();
      return false;
    }
    upstream = leg.response.reader();
    legClosed = false;
    continuations++;
    state.continuations++;
    held = EMPTY;
    sawDone = false;
    current = { choice: index, startTokens: state.tokens, startChars: plan.route === 'completions' ? codePoints(state.text) : 0 };
    return true;
  };

  /** A continuation leg ended with its [DONE]: its usage joins the answer's, and the next choice goes on (or the answer ends). */
  const legDone = async (at: ContinuationLeg): Promise<Uint8Array | undefined> => {
    const completion = at.usage?.['completion_tokens'];
    const prompt = at.usage?.['prompt_tokens'];
    if (typeof completion === 'number') choices[at.choice]!.tokens = at.startTokens + completion;
    if (typeof prompt === 'number') basePrompt ??= Math.max(0, prompt - at.startTokens);
    const details = at.usage?.['prompt_tokens_details'];
    if (isObject(details) && typeof details['cached_tokens'] === 'number') cachedTokens = Math.min(cachedTokens ?? Infinity, details['cached_tokens']);
    choices[at.choice]!.finished = true;
    if (nextChoice() !== undefined) return undefined;
    closeLeg(true);
    return encoder.encode(`${finalUsage()}${DONE_EVENT}`);
  };

  /** No continuation: hand on what was held back (the relay ends the partial event), then the end as it came. */
  const giveUp = (error: unknown): { done: true } | { done: false; value: Uint8Array } => {
    if (held.length > 0) {
      const value = held;
      held = EMPTY;
      ending = { error };
      return { done: false, value };
    }
    if (error !== undefined) throw error;
    return { done: true };
  };

  const reader: BodyReader = {
    async read() {
      for (;;) {
        if (ending) {
          const { error } = ending;
          ending = undefined;
          if (error !== undefined) throw error;
          return { done: true };
        }
        let result: Awaited<ReturnType<BodyReader['read']>>;
        try {
          result = await upstream.read();
        } catch (error) {
          // A continuation that sent its [DONE] is whole, however its connection ended.
          if (!ended && parsing && sawDone && current) result = { done: true };
          else {
            if (!ended && parsing && (await startLeg(true))) continue;
            if (!parsing) cut = true;
            return giveUp(error);
          }
        }
        if (result.done) {
          if (!parsing || ended) return giveUp(undefined);
          if (sawDone && !current) return giveUp(undefined);
          if (sawDone && current) {
            const tail = await legDone(current);
            if (tail) {
              ending = { error: undefined };
              return { done: false, value: tail };
            }
            if (await startLeg(false)) continue;
            return giveUp(undefined);
          }
          if (await startLeg(true)) continue;
          return giveUp(undefined);
        }
        if (ineligible !== undefined && continuations === 0) passthrough = true;
        if (passthrough) {
          // Nothing will be continued: the rest passes as it comes (what was held first).
          if (held.length === 0) return result;
          const value = concat(held, result.value);
          held = EMPTY;
          return { done: false, value };
        }
        const bytes = held.length === 0 ? result.value : concat(held, result.value);
        const end = lastEventEnd(bytes);
        held = end === bytes.length ? EMPTY : bytes.slice(end);
        if (held.length > plan.maxTextChars) {
          // No SSE event of a completion is this large: stop holding, and stop continuing.
          ineligible ??= 'an event larger than the continuation bound';
          passthrough = true;
          const value = held;
          held = EMPTY;
          return { done: false, value: end === 0 ? value : concat(handle(bytes, end), value) };
        }
        if (end === 0) continue;
        const out = handle(bytes, end);
        if (out.length > 0) return { done: false, value: out };
      }
    },
    cancel(reason) {
      // The relay found the leg silent for its idle time: a stalled upstream is a dead one too.
      // Its pending read ends, and the stream continues elsewhere (or ends, as the relay says).
      if (reason instanceof StreamIdle && parsing && !ended && inflight === undefined && ineligible === undefined) {
        // Not `ended`: the pending read's end is then a cut, and is continued like one.
        return upstream.cancel(reason);
      }
      ended = true;
      inflight?.cancel('client');
      return upstream.cancel(reason);
    },
  };

  return {
    reader,
    end(ok) {
      ended = true;
      closeLeg(ok);
    },
    report(relay) {
      const truncated = relay.error === 'stream_truncated' || relay.error === 'stream_idle_timeout';
      if (!cut && !truncated) return undefined;
      if (relay.completed) return { outcome: 'continued', continuations };
      const detail = ineligible ?? failedBecause ?? relay.error;
      return { outcome: ineligible !== undefined ? 'ineligible' : 'failed', continuations, ...(detail === undefined ? {} : { detail }) };
    },
  };
}
