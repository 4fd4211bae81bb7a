import * as z from '../zod-mini.ts';

/**
 * What the classifier reads from a request. Structural on purpose: an OpenAI chat or completion
 * body fits as it is, and so does a line of `switchyard classify` input.
 */
export interface ClassifyRequest {
  messages?: readonly { role: string; content?: unknown }[];
  /** vLLM's prompt forms: text, texts, token ids, lists of token ids. */
  prompt?: string | readonly string[] | readonly number[] | readonly (readonly number[])[];
  tools?: readonly unknown[] | null;
  response_format?: unknown;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
}

/** Validates untrusted input (the CLI's lines) into a ClassifyRequest; unknown fields pass through. */
export const ClassifyRequestSchema = z.looseObject({
  messages: z.optional(z.array(z.looseObject({ role: z.string(), content: z.unknown() }))),
  prompt: z.optional(z.union([z.string(), z.array(z.union([z.string(), z.number(), z.array(z.number())]))])),
  tools: z.optional(z.array(z.unknown())),
  response_format: z.optional(z.unknown()),
  max_tokens: z.optional(z.int().check(z.nonnegative())),
  max_completion_tokens: z.optional(z.int().check(z.nonnegative())),
}).check(z.refine((r) => r.messages !== undefined || r.prompt !== undefined, { message: 'needs "messages" or "prompt"' }));

/**
 * Calls `visit` with each piece of text in a message's content: a string, or the `text` of each
 * `{type: 'text'}` part. Other part types (images, audio) carry no text to classify.
 */
export function forEachContentText(content: unknown, visit: (text: string) => void): void {
  if (typeof content === 'string') {
    visit(content);
    return;
  }
  if (!Array.isArray(content)) return;
  for (const part of content as unknown[]) {
    if (typeof part !== 'object' || part === null) continue;
    const { type, text } = part as { type?: unknown; text?: unknown };
    if (type === 'text' && typeof text === 'string') visit(text);
  }
}
