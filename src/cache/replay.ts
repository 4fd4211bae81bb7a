import type { Endpoint } from '../api/schemas.ts';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const event = (chunk: Json) => `data: ${JSON.stringify(chunk)}\n\n`;

/**
 * A stored completion object replayed as the SSE stream the upstream would have sent: per
 * choice a role chunk (chat), one chunk with all of its text and tool calls, and one with its
 * finish reason; then the usage chunk (`choices: []`) when the request asked for
 * `stream_options.include_usage`; then `data: [DONE]`. Sent in one piece: it is all there.
 */
export function replaySse(body: string, kind: Endpoint, includeUsage: boolean): string {
  const completion = JSON.parse(body) as Json;
  const head: Json = {
    id: completion['id'],
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: completion['created'],
    model: completion['model'],
    ...(completion['system_fingerprint'] !== undefined ? { system_fingerprint: completion['system_fingerprint'] } : {}),
  };
  let out = '';
  const choices = Array.isArray(completion['choices']) ? completion['choices'].filter(isRecord) : [];
  for (const choice of choices) {
    const index = choice['index'] ?? 0;
    const end = { finish_reason: choice['finish_reason'] ?? 'stop', ...(choice['stop_reason'] !== undefined && choice['stop_reason'] !== null ? { stop_reason: choice['stop_reason'] } : {}) };
    if (kind === 'completions') {
      out += event({ ...head, choices: [{ index, text: typeof choice['text'] === 'string' ? choice['text'] : '', logprobs: null, ...end }] });
      continue;
    }
    const message = isRecord(choice['message']) ? choice['message'] : {};
    out += event({ ...head, choices: [{ index, delta: { role: 'assistant', content: message['content'] === null ? null : '' }, logprobs: null, finish_reason: null }] });
    const delta: Json = {};
    for (const [field, value] of Object.entries(message)) {
      if (field !== 'role' && typeof value === 'string' && value !== '') delta[field] = value;
    }
    const calls = Array.isArray(message['tool_calls']) ? message['tool_calls'].filter(isRecord) : [];
    if (calls.length > 0) delta['tool_calls'] = calls.map((call, i) => ({ index: i, ...call }));
    if (Object.keys(delta).length > 0) out += event({ ...head, choices: [{ index, delta, logprobs: null, finish_reason: null }] });
    out += event({ ...head, choices: [{ index, delta: {}, logprobs: null, ...end }] });
  }
  if (includeUsage && isRecord(completion['usage'])) out += event({ ...head, choices: [], usage: completion['usage'] });
  return `${out}data: [DONE]\n\n`;
}
