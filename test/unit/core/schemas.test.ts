import { describe, expect, it } from 'vitest';
import { ChatCompletionRequestSchema, CompletionRequestSchema } from '../../../src/api/schemas.ts';

/** Every field vLLM reads beyond OpenAI's, as a client would send them. */
const VLLM_EXTRAS = {
  top_k: 40,
  min_p: 0.05,
  repetition_penalty: 1.1,
  guided_json: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
  chat_template_kwargs: { enable_thinking: false },
  priority: -10,
  cache_salt: 'tenant-a-salt',
  kv_transfer_params: { do_remote_decode: true, remote_engine_id: 'prefill-0' },
  max_completion_tokens: 256,
  stream_options: { include_usage: true, continuous_usage_stats: true },
} as const;

const UNKNOWN = { some_future_field: { nested: [1, 2, 3] }, x_vendor_flag: true } as const;

const chat = (extra: Record<string, unknown> = {}) => ({ model: 'llama-3.1-8b', messages: [{ role: 'user', content: 'Hi' }], ...extra });
const completion = (extra: Record<string, unknown> = {}) => ({ model: 'llama-3.1-8b', prompt: 'Once upon a time', ...extra });

/** The first issue of a failed parse, as `path: message`. */
const firstIssue = (result: { success: boolean; error?: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } }) => {
  const issue = result.error?.issues[0];
  return issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : undefined;
};

describe('ChatCompletionRequestSchema', () => {
  it('accepts every vLLM extra field and unknown fields, and keeps them in the parsed request', () => {
    const body = chat({ ...VLLM_EXTRAS, ...UNKNOWN, stream: true });
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(body);
  });

  it('keeps unknown fields inside messages and tools', () => {
    const body = chat({
      messages: [
        { role: 'system', content: 'Be brief.', cache_control: { type: 'ephemeral' } },
        { role: 'user', content: [{ type: 'text', text: 'Hi' }, { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' }, strict: true } }],
    });
    expect(ChatCompletionRequestSchema.parse(body)).toEqual(body);
  });

  it.each([
    ['an assistant message with tool_calls and no content', { role: 'assistant', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }],
    ['an assistant message with null content', { role: 'assistant', content: null, tool_calls: [] }],
    ['a tool result', { role: 'tool', tool_call_id: 'call_1', content: '42' }],
    ['a developer message', { role: 'developer', content: 'Answer in French.' }],
  ])('accepts %s', (_what, message) => {
    expect(ChatCompletionRequestSchema.safeParse(chat({ messages: [{ role: 'user', content: 'Hi' }, message] })).success).toBe(true);
  });

  it.each<[string, Record<string, unknown>]>([
    ["Llama 3's tool role", { messages: [{ role: 'ipython', content: '{"result": 42}' }] }],
    ['a custom role', { messages: [{ role: 'critic', content: 'be terse' }] }],
    ['a user message without content (vLLM judges it)', { messages: [{ role: 'user' }] }],
    ['temperature 2.5 (vLLM has no upper bound)', { temperature: 2.5 }],
    ['n 0, top_p 1.5, penalties out of OpenAI range', { n: 0, top_p: 1.5, presence_penalty: 3 }],
    ['a structural tag response format', { response_format: { type: 'structural_tag', structures: [{ begin: '<f>', schema: {}, end: '</f>' }], triggers: ['<f>'] } }],
    ['guided decoding', { guided_regex: '\\d+', guided_choice: ['a', 'b'], guided_grammar: 'root ::= "x"' }],
  ])('accepts %s, as vLLM does', (_what, extra) => {
    const body = chat(extra);
    const parsed = ChatCompletionRequestSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(body);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing model', { model: undefined }, 'model: Invalid input: expected string, received undefined'],
    ['an empty model', { model: '' }, 'model: Too small: expected string to have >=1 characters'],
    ['no messages', { messages: [] }, 'messages: messages must contain at least one message'],
    ['messages that are not a list', { messages: true }, 'messages: Invalid input: expected array, received boolean'],
    ['a null message', { messages: [null] }, 'messages.0: Invalid input: expected object, received null'],
    ['a message without a role', { messages: [{ content: 'hi' }] }, 'messages.0.role: Invalid input: expected string, received undefined'],
    ['fractional max_tokens', { max_tokens: 1.5 }, 'max_tokens: Invalid input: expected int, received number'],
    ['a string temperature', { temperature: 'hot' }, 'temperature: Invalid input: expected number, received string'],
    ['a string for stream', { stream: 'yes' }, 'stream: Invalid input: expected boolean, received string'],
  ])('rejects %s (a field the gateway reads, of the wrong type)', (_what, extra, issue) => {
    const result = ChatCompletionRequestSchema.safeParse(chat(extra));
    expect(result.success).toBe(false);
    expect(firstIssue(result)).toBe(issue);
  });
});

describe('CompletionRequestSchema', () => {
  it('accepts every vLLM extra field and unknown fields, and keeps them in the parsed request', () => {
    const body = completion({ ...VLLM_EXTRAS, ...UNKNOWN, echo: false, logprobs: 2 });
    const parsed = CompletionRequestSchema.safeParse(body);
    expect(parsed.success).toBe(true);
    expect(parsed.data).toEqual(body);
  });

  it.each([
    ['a string', 'Once upon a time'],
    ['a list of strings', ['a', 'b']],
    ['token ids', [1, 2, 3]],
    ['lists of token ids', [[1, 2], [3]]],
  ])('accepts a prompt given as %s', (_what, prompt) => {
    expect(CompletionRequestSchema.safeParse(completion({ prompt })).success).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a number', 42],
    ['an object', { text: 'hi' }],
    ['an empty list', []],
    ['a mixed list', ['a', 1]],
    ['fractional token ids', [1.5]],
    ['missing', undefined],
  ])('rejects a prompt given as %s', (_what, prompt) => {
    const result = CompletionRequestSchema.safeParse(completion({ prompt }));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['prompt']);
  });

  it('rejects a missing model', () => {
    const result = CompletionRequestSchema.safeParse({ prompt: 'hi' });
    expect(firstIssue(result)).toBe('model: Invalid input: expected string, received undefined');
  });
});
