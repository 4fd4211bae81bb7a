import type { Endpoint } from '../api/schemas.ts';

/** A completed answer in canonical form: the final completion object's JSON, and whether it has usage. */
export interface Assembled {
  body: string;
  usage: boolean;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// A choice that ended like this did not finish its answer: never stored.
const UNFINISHED = new Set(['abort', 'error']);
const finished = (reason: unknown) => typeof reason === 'string' && !UNFINISHED.has(reason);

/**
 * A non-streamed answer: stored as the upstream sent it, once it is known to be a complete
 * completion (every choice has a finish reason, no error member).
 */
export function assembleJson(text: string): Assembled | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(body) || 'error' in body || !Array.isArray(body['choices']) || body['choices'].length === 0) return undefined;
  if (!body['choices'].every((c) => isRecord(c) && finished(c['finish_reason']))) return undefined;
  return { body: text, usage: isRecord(body['usage']) };
}

interface ToolCall {
  id?: unknown;
  type?: unknown;
  name: string;
  args: string;
}

interface Choice {
  index: number;
  /** Streamed string fields of the delta (content, reasoning_content, refusal…), concatenated. */
  text: Map<string, string>;
  tools: Map<number, ToolCall>;
  finish: unknown;
  stopReason: unknown;
}

/** The data payloads of an SSE text, or undefined if any event was an error. */
function dataEvents(sse: string): string[] | undefined {
  const events: string[] = [];
  let data: string[] = [];
  let type = '';
  const flush = () => {
    if (data.length > 0) events.push(data.join('\n'));
    data = [];
    return type !== 'error';
  };
  for (const line of sse.split(/\r?\n/)) {
    if (line === '') {
      if (!flush()) return undefined;
      type = '';
    } else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
    else if (line.startsWith('event:')) type = line.slice(6).trim();
  }
  return flush() ? events : undefined;
}

/**
 * A streamed answer, put back together as the completion object a non-streamed request would
 * have received: the chunks' text concatenated per choice, tool calls by index, the last usage.
 * Anything it does not understand (an error event, logprobs, an unknown structured delta
 * field, a missing [DONE] or finish reason) makes the answer unstorable rather than wrong.
 */
export function assembleSse(sse: string, kind: Endpoint): Assembled | undefined {
  const events = dataEvents(sse);
  if (events === undefined || events.at(-1)?.trim() !== '[DONE]') return undefined;
  const head: Json = {};
  let usage: Json | undefined;
  const choices = new Map<number, Choice>();
  for (const event of events.slice(0, -1)) {
    let chunk: unknown;
    try {
      chunk = JSON.parse(event);
    } catch {
      return undefined;
    }
    if (!isRecord(chunk) || 'error' in chunk) return undefined;
    for (const field of ['id', 'created', 'model', 'system_fingerprint'] as const) {
      if (head[field] === undefined && chunk[field] !== undefined && chunk[field] !== null) head[field] = chunk[field];
    }
    if (isRecord(chunk['usage'])) usage = chunk['usage'];
    if (!Array.isArray(chunk['choices'])) return undefined;
    for (const c of chunk['choices']) {
      if (!isRecord(c) || typeof c['index'] !== 'number' || (c['logprobs'] !== undefined && c['logprobs'] !== null)) return undefined;
      let choice = choices.get(c['index']);
      if (!choice) {
        choice = { index: c['index'], text: new Map(), tools: new Map(), finish: null, stopReason: null };
        choices.set(c['index'], choice);
      }
      if (c['finish_reason'] !== undefined && c['finish_reason'] !== null) choice.finish = c['finish_reason'];
      if (c['stop_reason'] !== undefined && c['stop_reason'] !== null) choice.stopReason = c['stop_reason'];
      if (kind === 'completions') {
        if (typeof c['text'] === 'string') choice.text.set('text', (choice.text.get('text') ?? '') + c['text']);
      } else if (!addDelta(choice, c['delta'])) return undefined;
    }
  }
  if (choices.size === 0 || ![...choices.values()].every((c) => finished(c.finish))) return undefined;
  const ordered = [...choices.values()].sort((a, b) => a.index - b.index);
  const body = {
    id: head['id'] ?? null,
    object: kind === 'chat' ? 'chat.completion' : 'text_completion',
    created: head['created'] ?? null,
    model: head['model'] ?? null,
    ...(head['system_fingerprint'] !== undefined ? { system_fingerprint: head['system_fingerprint'] } : {}),
    choices: ordered.map((c) => (kind === 'chat' ? chatChoice(c) : textChoice(c))),
    ...(usage ? { usage } : {}),
  };
  return { body: JSON.stringify(body), usage: usage !== undefined };
}

function addDelta(choice: Choice, delta: unknown): boolean {
  if (delta === undefined || delta === null) return true;
  if (!isRecord(delta)) return false;
  for (const [field, value] of Object.entries(delta)) {
    if (value === null || field === 'role') continue;
    if (typeof value === 'string') choice.text.set(field, (choice.text.get(field) ?? '') + value);
    else if (field === 'tool_calls' && Array.isArray(value)) {
      for (const call of value) {
        if (!isRecord(call) || typeof call['index'] !== 'number') return false;
        const tool = choice.tools.get(call['index']) ?? { name: '', args: '' };
        if (call['id'] !== undefined && call['id'] !== null) tool.id = call['id'];
        if (call['type'] !== undefined && call['type'] !== null) tool.type = call['type'];
        const fn = call['function'];
        if (isRecord(fn)) {
          if (typeof fn['name'] === 'string') tool.name += fn['name'];
          if (typeof fn['arguments'] === 'string') tool.args += fn['arguments'];
        }
        choice.tools.set(call['index'], tool);
      }
    } else if (!(Array.isArray(value) && value.length === 0)) return false; // an unknown structured field
  }
  return true;
}

function chatChoice(c: Choice): Json {
  // With tool calls, no text is `content: null` (OpenAI's form), however the stream spelt it.
  const content = c.text.get('content');
  const message: Json = { role: 'assistant', content: c.tools.size > 0 && !content ? null : (content ?? '') };
  for (const [field, text] of c.text) if (field !== 'content') message[field] = text;
  if (c.tools.size > 0) {
    message['tool_calls'] = [...c.tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => ({ ...(t.id !== undefined ? { id: t.id } : {}), type: t.type ?? 'function', function: { name: t.name, arguments: t.args } }));
  }
  return { index: c.index, message, logprobs: null, finish_reason: c.finish, ...(c.stopReason !== null ? { stop_reason: c.stopReason } : {}) };
}

function textChoice(c: Choice): Json {
  return { index: c.index, text: c.text.get('text') ?? '', logprobs: null, finish_reason: c.finish, ...(c.stopReason !== null ? { stop_reason: c.stopReason } : {}) };
}
