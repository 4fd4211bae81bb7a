import * as z from '../zod-mini.ts';

/**
 * What the gateway itself reads from a request, and nothing more: the model, the stream
 * flags, the fields the classifier, the cache and session affinity read (messages or prompt,
 * temperature and seed, token limits, tools, user). Their types are checked because the
 * gateway uses them; their values are the upstream's to judge (vLLM takes temperature 2.5,
 * roles such as `ipython`, structural tags, guided decoding). Every other field reaches vLLM
 * byte for byte: the gateway forwards the client's own bytes.
 *
 * The request path checks them by hand (check-request.ts, held to these by a property test);
 * these stay the definition, and word every refusal.
 */

const messageSchema = z.looseObject({
  role: z.string().check(z.minLength(1)),
  // Strings, arrays of parts, null on assistant messages: vLLM's chat template decides.
  content: z.optional(z.unknown()),
  name: z.optional(z.nullable(z.string())),
});

const int = z.int();

/** Read by the gateway for every generation request. */
const read = {
  model: z.string().check(z.minLength(1)),
  stream: z.nullish(z.boolean()),
  stream_options: z.nullish(z.looseObject({ include_usage: z.nullish(z.boolean()) })),
  // Cache: deterministic means temperature 0 or a seed.
  temperature: z.nullish(z.number()),
  seed: z.nullish(int),
  // Classifier signals.
  max_tokens: z.nullish(int),
  // Session affinity falls back to it.
  user: z.nullish(z.string()),
};

export const ChatCompletionRequestSchema = z.looseObject({
  ...read,
  messages: z.array(messageSchema).check(z.minLength(1, 'messages must contain at least one message')),
  max_completion_tokens: z.nullish(int),
  tools: z.nullish(z.array(z.unknown())),
});

export const CompletionRequestSchema = z.looseObject({
  ...read,
  // vLLM's four prompt forms; their content is vLLM's to check.
  prompt: z.union([
    z.string(),
    z.array(z.string()).check(z.minLength(1)),
    z.array(int).check(z.minLength(1)),
    z.array(z.array(int).check(z.minLength(1))).check(z.minLength(1)),
  ]),
  // Not a completions parameter (vLLM ignores it, the classifier does not read it), but a client
  // that sends chat messages here by mistake should hear so when they are not even messages.
  messages: z.optional(z.array(messageSchema)),
});

/** Every other OpenAI route's JSON body: the model to route by, whether to stream. The rest is the upstream's. */
export const ProxyRequestSchema = z.looseObject({ model: read.model, stream: read.stream, user: read.user });

export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;
export type ChatMessage = z.infer<typeof messageSchema>;
export type ProxyRequest = z.infer<typeof ProxyRequestSchema>;

export type Endpoint = 'chat' | 'completions';

export const REQUEST_SCHEMAS = {
  chat: ChatCompletionRequestSchema,
  completions: CompletionRequestSchema,
} as const;

export type InferenceRequest<E extends Endpoint = Endpoint> = E extends 'chat' ? ChatCompletionRequest : CompletionRequest;
