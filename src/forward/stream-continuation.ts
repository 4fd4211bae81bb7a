import type { ContinuableRoute, PartialAnswer } from '../api/continuation-body.ts';
import { CancelScope, type Cancellation } from '../backends/cancellation.ts';
import type { BodyReader } from '../backends/transport.ts';
import { StreamIdle } from '../api/sse-relay.ts';
import { concat, lastEventEnd } from '../meter/stream-usage.ts';
import type { Forwarded } from './forward.ts';

/**
 * Mid-stream failover: when the upstream of a streamed chat or text completion dies after its
 * first bytes (cut, ended without `[DONE]`, or silent for the relay's idle time), the same completion is continued on another endpoint (another region first) and
 * relayed as the rest of the same stream — same id, `created` and model, no text twice or
 * missing, the usage of both legs in the final chunk. Only when nothing can continue it does the
 * relay end it with the error event, as without the option.
 *
 * What it costs, only for streams whose policy opts in: each complete SSE event of the first leg
 * is decoded and parsed once (the bytes themselves go on untouched) to keep the text so far, and
 * an event split across reads is held until its end, so a cut never leaves half an event with the
 * client. Events of a continuation leg are parsed and re-serialized (id, usage rewritten). A
 * request that could never be continued (n > 1, echo, a grammar, …) is relayed unparsed.
 * `npm run bench -- continuation` measures it per chunk.
 */
export interface StreamContinuation {
  route: ContinuableRoute;
  /** Continuations allowed per stream. */
  maxContinuations: number;
  /** The text so far is kept up to this many characters; a longer answer is not continued. */
  maxTextChars: number;
  /** Why this request can never be continued (src/api/continuation-body.ts); its stream then passes unparsed. */
  blocker?: string | undefined;
  /** The continuation request's body, or undefined when nothing is left to answer. */
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

/** A continuation's opening chunk (`delta: {role: "assistant", content: ""}`): the client had one already. */
function isOpening(chunk: Json): boolean {
  const choices = chunk['choices'];
  if (!Array.isArray(choices) || choices.length !== 1) return false;
  const choice = choices[0] as Json;
  const delta = choice['delta'];
  return isObject(delta) && delta['role'] !== undefined && (delta['content'] === '' || delta['content'] == null) && delta['tool_calls'] == null && choice['finish_reason'] == null;
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
  let text = '';
  let tokens = 0;
  let legStartTokens = 0;
  let finished = false;
  let sawDone = false;
  let meta: { id: unknown; created: unknown; model: unknown } | undefined;
  let continuations = 0;
  let cut = false;
  let dropOpening = false;
  let inflight: CancelScope | undefined;
  const failedEndpoints = new Set<string>();
  const failedRegions = new Set<string>();

  const closeLeg = (ok: boolean) => {
    if (legClosed) return;
    legClosed = true;
    leg.bodyEnded(ok);
    leg.done();
  };

  /** Keeps what choice 0 said so far, and notes what makes the answer impossible to continue. */
  const account = (chunk: Json) => {
    meta ??= { id: chunk['id'], created: chunk['created'], model: chunk['model'] };
    const choices = chunk['choices'];
    if (Array.isArray(choices)) {
      for (const choice of choices as unknown[]) {
        if (!isObject(choice)) continue;
        if (choice['index'] !== 0 && choice['index'] !== undefined) {
          ineligible ??= 'more than one choice';
          continue;
        }
        let piece: unknown;
        if (plan.route === 'chat') {
          const delta = choice['delta'];
          if (isObject(delta)) {
            piece = delta['content'];
            const calls: unknown = delta['tool_calls'];
            if (Array.isArray(calls) && calls.length > 0) ineligible ??= 'tool calls';
            if ((typeof delta['reasoning_content'] === 'string' && delta['reasoning_content'] !== '') || (typeof delta['reasoning'] === 'string' && delta['reasoning'] !== '')) ineligible ??= 'reasoning';
          }
        } else piece = choice['text'];
        if (typeof piece === 'string' && piece !== '') {
          text += piece;
          tokens++;
          if (text.length > plan.maxTextChars) ineligible ??= `an answer longer than ${plan.maxTextChars} characters`;
        }
        if (choice['finish_reason'] != null) finished = true;
      }
    }
    // vLLM's running usage (continuous_usage_stats) counts tokens exactly; chunks count one each.
    const usage = chunk['usage'];
    if (isObject(usage) && typeof usage['completion_tokens'] === 'number' && Array.isArray(choices) && choices.length > 0) {
      tokens = legStartTokens + usage['completion_tokens'];
    }
  };

  /** A continuation's chunk as the client's stream goes on: the first leg's id, created and model; usage of both legs. */
  const rewrite = (chunk: Json): Json | undefined => {
    if (dropOpening && plan.route === 'chat' && isOpening(chunk)) {
      dropOpening = false;
      return undefined;
    }
    dropOpening = false;
    if (meta) {
      chunk['id'] = meta.id;
      chunk['created'] = meta.created;
      chunk['model'] = meta.model;
    }
    const usage = chunk['usage'];
    const prompt = isObject(usage) ? usage['prompt_tokens'] : undefined;
    const completion = isObject(usage) ? usage['completion_tokens'] : undefined;
    if (isObject(usage) && typeof prompt === 'number' && typeof completion === 'number') {
      // The continuation's prompt holds the text already answered: those tokens are the answer's, not the prompt's.
      const input = Math.max(0, prompt - legStartTokens);
      usage['prompt_tokens'] = input;
      usage['completion_tokens'] = completion + legStartTokens;
      usage['total_tokens'] = input + completion + legStartTokens;
      // Cached prompt tokens may include the re-sent text: never more than the prompt they are part of.
      const details = usage['prompt_tokens_details'];
      if (isObject(details) && typeof details['cached_tokens'] === 'number') details['cached_tokens'] = Math.min(details['cached_tokens'], input);
    }
    return chunk;
  };

  /** The complete events in `bytes[0, end)`: observed (first leg, bytes unchanged) or rewritten (a continuation). */
  const handle = (bytes: Uint8Array, end: number): Uint8Array => {
    const rewriting = continuations > 0;
    let out = '';
    for (const block of decoder.decode(bytes.subarray(0, end)).split(BLANK_LINE)) {
      if (block === '') continue;
      const data = dataOf(block);
      let chunk: unknown;
      if (data === '[DONE]') sawDone = true;
      else if (data !== undefined) {
        try {
          chunk = JSON.parse(data);
        } catch {
          ineligible ??= 'a malformed chunk';
        }
      }
      if (isObject(chunk)) account(chunk);
      if (!rewriting) continue;
      if (!isObject(chunk)) out += `${block}\n\n`;
      else {
        const rewritten = rewrite(chunk);
        if (rewritten) out += `data: ${JSON.stringify(rewritten)}\n\n`;
      }
    }
    return rewriting ? encoder.encode(out) : bytes.subarray(0, end);
  };

  /** Tries the next leg after a cut; false when the stream cannot be continued (the relay then reports the cut). */
  const continueAfterCut = async (): Promise<boolean> => {
    cut = true;
    closeLeg(false);
    failedEndpoints.add(leg.candidate.endpoint.id);
    failedRegions.add(leg.candidate.region.id);
    if (ineligible !== undefined) return false;
    if (finished) failedBecause = 'cut after its last token';
    else if (continuations >= plan.maxContinuations) failedBecause = `${plan.maxContinuations} continuations already`;
    else if (cancel.cancelled) failedBecause = cancel.reason === 'deadline' ? 'the total deadline passed' : 'the client left';
    if (failedBecause !== undefined) return false;
    const body = plan.body({ text, tokens });
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
    held = EMPTY;
    legStartTokens = tokens;
    dropOpening = true;
    return true;
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
          if (!ended && parsing && (await continueAfterCut())) continue;
          if (!parsing) cut = true;
          return giveUp(error);
        }
        if (result.done) {
          if (!parsing || sawDone || ended) return giveUp(undefined);
          if (await continueAfterCut()) continue;
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
