// What a client got, per request, from its own side of the wire: a complete answer, a
// well-formed error, or a stream that ended some other way. One place, so every load benchmark
// counts alike and a new outcome (a stream continued on another endpoint, say) is one more case.
import type { OpenLoopSample } from './open-loop.ts';

export const OUTCOMES = {
  ok: 'a complete answer (JSON with choices, or a stream ending in `data: [DONE]`)',
  'http-error': 'a non-2xx answer (an error in OpenAI\'s shape)',
  'no-response': 'no response at all (connection refused or reset, or no headers in time)',
  'error-event': 'a stream that ended with an `event: error` (the client is told)',
  truncated: 'a stream that ended cleanly without `[DONE]` or an error event (silent truncation)',
  'connection-cut': 'a body cut by a dropped connection (no `[DONE]`, no error event)',
  malformed: 'a 2xx whose body is not a complete answer',
} as const;
export type AnswerOutcome = keyof typeof OUTCOMES;
export const OUTCOME_NAMES = Object.keys(OUTCOMES) as AnswerOutcome[];

/** Outcomes that end a stream with neither `[DONE]` nor an error event: the client may not know it lost the end. */
export const SILENT: ReadonlySet<AnswerOutcome> = new Set(['truncated', 'connection-cut']);

// Prefixes of the check's verdicts, so the outcome survives open-loop's `error` text.
const ERROR_EVENT = 'error event: ';
const TRUNCATED = 'truncated: ';
const CUT = 'the body was cut';

/** A non-streaming 2xx body that is not a complete answer: why; undefined when it is one. */
export function completionProblem(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { choices?: unknown };
    return Array.isArray(json.choices) && json.choices.length > 0 ? undefined : `a 2xx without choices: ${body.slice(0, 200)}`;
  } catch {
    return `a 2xx whose body is not JSON: ${body.slice(0, 200)}`;
  }
}

/** A 2xx SSE body that did not end in `data: [DONE]`: how it ended; undefined when it did. */
export function streamProblem(body: string): string | undefined {
  const events = body.split(/\r?\n\r?\n/).map((e) => e.trim()).filter((e) => e !== '');
  const last = events[events.length - 1] ?? '';
  if (last === 'data: [DONE]') return undefined;
  if (/^event: error$/m.test(last)) return `${ERROR_EVENT}${last.slice(0, 300)}`;
  return `${TRUNCATED}${events.length} events, the last: ${last.slice(0, 200)}`;
}

interface StreamedChoice {
  index?: unknown;
  delta?: { content?: unknown };
  logprobs?: { content?: Array<{ token?: unknown }> } | null;
  finish_reason?: unknown;
}

/**
 * A chat stream ending in `[DONE]` that asked for `choices` choices with logprobs: whether each
 * choice came whole — it finished, and its logprob tokens spell exactly its text (a piece twice,
 * or missing, shows). Undefined when every choice did.
 */
export function choicesProblem(body: string, choices: number): string | undefined {
  const texts = Array.from({ length: choices }, () => ({ text: '', tokens: '', finished: false }));
  for (const event of body.split(/\r?\n\r?\n/)) {
    const data = event.trim();
    if (!data.startsWith('data: {')) continue;
    let chunk: { choices?: StreamedChoice[] };
    try {
      chunk = JSON.parse(data.slice('data: '.length)) as { choices?: StreamedChoice[] };
    } catch {
      return `${TRUNCATED}an event that is not JSON: ${data.slice(0, 120)}`;
    }
    for (const choice of chunk.choices ?? []) {
      const mine = typeof choice.index === 'number' ? texts[choice.index] : undefined;
      if (mine === undefined) return `${TRUNCATED}a choice index out of range: ${String(choice.index)}`;
      if (typeof choice.delta?.content === 'string') mine.text += choice.delta.content;
      for (const entry of choice.logprobs?.content ?? []) mine.tokens += typeof entry.token === 'string' ? entry.token : '';
      if (choice.finish_reason != null) mine.finished = true;
    }
  }
  const broken = texts.findIndex((c) => !c.finished || c.tokens !== c.text);
  if (broken < 0) return undefined;
  const c = texts[broken]!;
  return `${TRUNCATED}choice ${broken} ${c.finished ? 'finished' : 'unfinished'}, its logprob tokens ${c.tokens === c.text ? 'spell' : 'differ from'} its text (${c.text.length} characters)`;
}

/** The `check` for open-loop: streams and JSON answers judged by their own rules. */
export const answerProblem = (streaming: boolean) => (body: string) => (streaming ? streamProblem(body) : completionProblem(body));

export function outcomeOf(sample: Pick<OpenLoopSample, 'status' | 'error'>): AnswerOutcome {
  const error = sample.error;
  if (sample.status === 0) return 'no-response';
  if (error?.startsWith(CUT)) return 'connection-cut';
  if (sample.status < 200 || sample.status > 299) return 'http-error';
  if (error === undefined) return 'ok';
  if (error.startsWith(ERROR_EVENT)) return 'error-event';
  if (error.startsWith(TRUNCATED)) return 'truncated';
  return 'malformed';
}

/** Counts by outcome, every outcome present (0 where none). */
export function countOutcomes(outcomes: Iterable<AnswerOutcome>): Record<AnswerOutcome, number> {
  const counts = Object.fromEntries(OUTCOME_NAMES.map((n) => [n, 0])) as Record<AnswerOutcome, number>;
  for (const o of outcomes) counts[o]++;
  return counts;
}
