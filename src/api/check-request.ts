import type * as z from '../zod-mini.ts';
import { ProxyRequestSchema, REQUEST_SCHEMAS, type Endpoint, type InferenceRequest, type ProxyRequest } from './schemas.ts';

/**
 * The request schemas (schemas.ts) checked by hand on the hot path: the same rules, field for
 * field, at a fraction of zod's cost per request (zod builds a fresh copy of the body, every
 * message included, and runs a check object per field). Only a body the hand check refuses goes
 * through zod, so a refusal still names the first issue in zod's own words; a property test
 * (test/unit/core/check-request.test.ts) holds the two to the same verdict on any input.
 * An accepted body is returned as it is: the schemas are loose, so zod's copy would hold the same members.
 */

export type Checked<T> = { success: true; data: T } | { success: false; error: z.core.$ZodError };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isInt = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value);
const nonEmptyString = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
const nullishBoolean = (value: unknown): boolean => value == null || typeof value === 'boolean';
const nullishInt = (value: unknown): boolean => value == null || isInt(value);

/** The fields every generation request is read for (schemas.ts `read`). */
function readFieldsOk(body: Json): boolean {
  if (!nonEmptyString(body['model']) || !nullishBoolean(body['stream'])) return false;
  const options = body['stream_options'];
  if (options != null && (!isObject(options) || !nullishBoolean(options['include_usage']))) return false;
  const temperature = body['temperature'];
  if (temperature != null && !(typeof temperature === 'number' && Number.isFinite(temperature))) return false;
  const user = body['user'];
  return nullishInt(body['seed']) && nullishInt(body['max_tokens']) && (user == null || typeof user === 'string');
}

function messagesOk(messages: unknown[]): boolean {
  for (const message of messages) {
    if (!isObject(message) || !nonEmptyString(message['role'])) return false;
    const name = message['name'];
    if (name !== undefined && name !== null && typeof name !== 'string') return false;
  }
  return true;
}

function chatOk(body: Json): boolean {
  const messages = body['messages'];
  const tools = body['tools'];
  return readFieldsOk(body) && Array.isArray(messages) && messages.length > 0 && messagesOk(messages) && nullishInt(body['max_completion_tokens']) && (tools == null || Array.isArray(tools));
}

const everyInt = (list: unknown[]): boolean => list.every(isInt);

/** vLLM's four prompt forms: a string, strings, token ids, lists of token ids (each list non-empty). */
function promptOk(prompt: unknown): boolean {
  if (typeof prompt === 'string') return true;
  if (!Array.isArray(prompt) || prompt.length === 0) return false;
  if (prompt.every((p) => typeof p === 'string')) return true;
  if (everyInt(prompt)) return true;
  return prompt.every((p) => Array.isArray(p) && p.length > 0 && everyInt(p));
}

function completionOk(body: Json): boolean {
  const messages = body['messages'];
  return readFieldsOk(body) && promptOk(body['prompt']) && (messages === undefined || (Array.isArray(messages) && messagesOk(messages)));
}

const HOT_CHECKS: Record<Endpoint, (body: Json) => boolean> = { chat: chatOk, completions: completionOk };

/** A chat or text completion body, checked: the body itself when it passes, zod's first issue when it does not. */
export function checkRequest<E extends Endpoint>(kind: E, json: unknown): Checked<InferenceRequest<E>> {
  if (isObject(json) && HOT_CHECKS[kind](json)) return { success: true, data: json as InferenceRequest<E> };
  return REQUEST_SCHEMAS[kind].safeParse(json) as Checked<InferenceRequest<E>>;
}

/** Every other OpenAI route's JSON body (the model to route by, whether to stream, the user). */
export function checkProxyRequest(json: unknown): Checked<ProxyRequest> {
  if (isObject(json) && nonEmptyString(json['model']) && nullishBoolean(json['stream']) && (json['user'] == null || typeof json['user'] === 'string')) return { success: true, data: json as ProxyRequest };
  return ProxyRequestSchema.safeParse(json);
}
