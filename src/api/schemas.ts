import { z } from 'zod';

/**
 * What the gateway itself reads from a request, and nothing more: the model, the stream
 * flags, the fields the classifier, the cache and session affinity read (messages or prompt,
 * temperature and seed, token limits, tools, user). Their types are checked because the
 * gateway uses them; their values are the upstream's to judge (vLLM takes temperature 2.5,
 * roles such as `ipython`, structural tags, guided decoding). Every other field reaches vLLM
 * byte for byte: the gateway forwards the client's own bytes.
 */

const messageSchema = z.looseObject({
  role: z.string().min(1),
  // Strings, arrays of parts, null on assistant messages: vLLM's chat template decides.
  content: z.unknown().optional(),
  name: z.string().nullable().optional(),
});

const int = z.number().int();

/** Read by the gateway for every generation request. */
const read = {
  model: z.string().min(1),
  stream: z.boolean().nullable().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullable().optional() }).nullable().optional(),
  // Cache: deterministic means temperature 0 or a seed.
  temperature: z.number().nullable().optional(),
  seed: int.nullable().optional(),
  // Classifier signals.
  max_tokens: int.nullable().optional(),
  // Session affinity falls back to it.
  user: z.string().nullable().optional(),
};

export const ChatCompletionRequestSchema = z.looseObject({
  ...read,
  messages: z.array(messageSchema).min(1, 'messages must contain at least one message'),
  max_completion_tokens: int.nullable().optional(),
  tools: z.array(z.unknown()).nullable().optional(),
});

export const CompletionRequestSchema = z.looseObject({
  ...read,
  // vLLM's four prompt forms; their content is vLLM's to check.
  prompt: z.union([z.string(), z.array(z.string()).min(1), z.array(int).min(1), z.array(z.array(int).min(1)).min(1)]),
  // Not a completions parameter (vLLM ignores it, the classifier does not read it), but a client
  // that sends chat messages here by mistake should hear so when they are not even messages.
  messages: z.array(messageSchema).optional(),
});

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;

export type Endpoint = 'chat' | 'completions';

export const REQUEST_SCHEMAS = {
  chat: ChatCompletionRequestSchema,
  completions: CompletionRequestSchema,
} as const;

export type InferenceRequest<E extends Endpoint = Endpoint> = E extends 'chat' ? ChatCompletionRequest : CompletionRequest;
