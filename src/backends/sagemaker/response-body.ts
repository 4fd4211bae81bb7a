import { errors } from '../../api/errors.ts';
import type { SageMakerOutputStyle } from '../../fleet/schema.ts';
import { completionJson, finishReasonOf, type ResponseMeta } from './openai-shapes.ts';
import type { OpenAIRequest } from './request.ts';
import { estimateTokens, usageOf, type Usage } from './usage.ts';
import { isObject, type Json } from './json.ts';

const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

/** A non-streaming InvokeEndpoint answer as OpenAI's completion JSON. */
export function openAIBody(style: SageMakerOutputStyle, request: OpenAIRequest, meta: ResponseMeta, bytes: Uint8Array): string {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw errors.upstreamBroken('the SageMaker endpoint answered with a body that is not JSON');
  }
  return style === 'json-lines' ? fromLmi(request, meta, json) : fromOpenAI(request, meta, json);
}

/** Already OpenAI's shape: the model id is ours, and usage is filled in when the container left it out. */
function fromOpenAI(request: OpenAIRequest, meta: ResponseMeta, json: unknown): string {
  if (!isObject(json) || !Array.isArray(json.choices)) throw errors.upstreamBroken('the SageMaker endpoint answered without `choices` (is its output style openai-sse?)');
  json.model = meta.model;
  if (!isObject(json.usage)) {
    const text = json.choices.map((c: unknown) => (isObject(c) ? (isObject(c.message) ? String(c.message.content ?? '') : String(c.text ?? '')) : '')).join('');
    json.usage = usageOf(request.promptTokens, estimateTokens(text));
  }
  return JSON.stringify(json);
}

/** LMI's `{"generated_text", "details"}` (TGI-compatible containers wrap it in a one-element list). */
function fromLmi(request: OpenAIRequest, meta: ResponseMeta, json: unknown): string {
  const body = Array.isArray(json) ? json[0] : json;
  if (!isObject(body) || typeof body.generated_text !== 'string') {
    throw errors.upstreamBroken('the SageMaker endpoint answered without `generated_text` (is its output style json-lines?)');
  }
  const details = isObject(body.details) ? body.details : {};
  return completionJson(meta, body.generated_text, finishReasonOf(details.finish_reason), lmiUsage(request, details, body.generated_text));
}

/** Usage from LMI's details where it gives counts, else estimated (see usage.ts). */
export function lmiUsage(request: OpenAIRequest, details: Json, text: string, streamedTokens?: number): Usage {
  return usageOf(count(details.prompt_tokens) ?? request.promptTokens, count(details.generated_tokens) ?? streamedTokens ?? estimateTokens(text));
}
