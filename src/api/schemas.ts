import { z } from 'zod';

/**
 * OpenAI request schemas, validated before anything is forwarded. Objects are loose:
 * unknown fields (new OpenAI parameters, vLLM's extras such as top_k, min_p, guided_json,
 * kv_transfer_params) are kept, and the gateway forwards the client's original bytes, so
 * nothing the client sent is silently dropped or rewritten.
 */

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const otherPart = z.looseObject({ type: z.string() });
const contentPart = z.union([textPart, otherPart]);

const content = z.union([z.string(), z.array(contentPart)]);

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

export const ChatMessageSchema = z
  .looseObject({
    role,
    content: content.nullable().optional(),
    name: z.string().optional(),
    tool_calls: z.array(z.looseObject({})).optional(),
    tool_call_id: z.string().optional(),
  })
  .refine((m) => m.content != null || m.role === 'assistant', {
    message: 'content is required except on assistant messages',
    path: ['content'],
  });

const stop = z.union([z.string(), z.array(z.string()).max(16)]).nullable();
const nonNegativeInt = z.number().int().min(0);

/** Parameters shared by chat and text completions (OpenAI's ranges). */
const sampling = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  max_tokens: nonNegativeInt.nullable().optional(),
  stop: stop.optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  logit_bias: z.record(z.string(), z.number()).nullable().optional(),
  seed: z.number().int().nullable().optional(),
  user: z.string().optional(),
};

const tool = z.looseObject({
  type: z.string(),
  function: z.looseObject({ name: z.string().min(1), description: z.string().optional(), parameters: z.unknown() }).optional(),
});

export const ChatCompletionRequestSchema = z.looseObject({
  ...sampling,
  messages: z.array(ChatMessageSchema).min(1, 'messages must contain at least one message'),
  max_completion_tokens: nonNegativeInt.nullable().optional(),
  logprobs: z.boolean().nullable().optional(),
  top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
  tools: z.array(tool).optional(),
  tool_choice: z.union([z.string(), z.looseObject({})]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  response_format: z
    .looseObject({ type: z.enum(['text', 'json_object', 'json_schema']), json_schema: z.looseObject({}).optional() })
    .optional(),
});

export const CompletionRequestSchema = z.looseObject({
  ...sampling,
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int()).min(1),
    z.array(z.array(z.number().int()).min(1)).min(1),
  ]),
  echo: z.boolean().nullable().optional(),
  best_of: z.number().int().min(1).nullable().optional(),
  suffix: z.string().nullable().optional(),
  logprobs: z.number().int().min(0).max(5).nullable().optional(),
});

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export type Endpoint = 'chat' | 'completions';

export const REQUEST_SCHEMAS = {
  chat: ChatCompletionRequestSchema,
  completions: CompletionRequestSchema,
} as const;

export type InferenceRequest<E extends Endpoint = Endpoint> = E extends 'chat' ? ChatCompletionRequest : CompletionRequest;
